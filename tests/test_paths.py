"""Library paths: every path is a single component inside the library; symlinks cannot escape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contactsheet.errors import UnsafePath
from contactsheet.library.paths import LibraryPaths


@pytest.fixture
def paths(tmp_path: Path) -> LibraryPaths:
    library = LibraryPaths(tmp_path / "data", "user_0")
    library.projects_root.mkdir(parents=True)
    return library


def test_layout(tmp_path: Path, paths: LibraryPaths) -> None:
    root = (tmp_path / "data").resolve()
    assert paths.root == root
    assert paths.projects_root == root / "projects" / "user_0"
    assert paths.db_dir == root / "db"
    assert paths.secret_key_file == root / "secret.key"
    assert paths.project_dir("Wedding") == root / "projects" / "user_0" / "Wedding"
    assert paths.thumb_dir("Wedding") == paths.project_dir("Wedding") / ".thumb"
    assert paths.preview_dir("Wedding") == paths.project_dir("Wedding") / ".preview"
    assert paths.trash_dir("Wedding") == paths.project_dir("Wedding") / ".trash"
    assert paths.manifest_path("Wedding") == paths.project_dir("Wedding") / ".project.yaml"


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LibraryPaths(Path("lib"), "user_0").root == tmp_path.resolve() / "lib"


UNSAFE_COMPONENTS = [
    "..",
    ".",
    "",
    "a/b",
    "../x",
    "x/..",
    "a\\b",
    "..\\x",
    "nul\x00byte",
    "/etc",
    "/",
    "//server/share",
]


@pytest.mark.parametrize("name", UNSAFE_COMPONENTS)
def test_project_dir_refuses_unsafe_names(paths: LibraryPaths, name: str) -> None:
    with pytest.raises(UnsafePath):
        paths.project_dir(name)


@pytest.mark.parametrize("name", UNSAFE_COMPONENTS)
def test_child_refuses_unsafe_names(paths: LibraryPaths, name: str) -> None:
    parent = paths.projects_root
    with pytest.raises(UnsafePath):
        paths.child(parent, name)


@pytest.mark.parametrize("name", UNSAFE_COMPONENTS)
def test_folder_helpers_refuse_unsafe_names(paths: LibraryPaths, name: str) -> None:
    for helper in (paths.thumb_dir, paths.preview_dir, paths.trash_dir, paths.manifest_path):
        with pytest.raises(UnsafePath):
            helper(name)


def test_child_accepts_ordinary_names(paths: LibraryPaths) -> None:
    for name in ("Wedding 2026", "Smith_Jones", "...dots-inside...x", "é", "a..b"):
        assert paths.child(paths.projects_root, name) == paths.projects_root / name


def test_confine_accepts_paths_inside_the_library(paths: LibraryPaths) -> None:
    inside = paths.projects_root / "a" / ".." / "b"
    assert paths.confine(inside) == paths.projects_root / "b"


def test_confine_refuses_paths_outside_the_library(tmp_path: Path, paths: LibraryPaths) -> None:
    with pytest.raises(UnsafePath):
        paths.confine(paths.root / ".." / "elsewhere")
    with pytest.raises(UnsafePath):
        paths.confine(Path("/etc/passwd"))
    with pytest.raises(UnsafePath):
        # A sibling whose name merely starts with the root's name is still outside.
        paths.confine(tmp_path / "data-other" / "x")


def test_symlink_out_of_the_library_is_refused(tmp_path: Path, paths: LibraryPaths) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours", encoding="utf-8")
    link = paths.projects_root / "escape"
    link.symlink_to(outside, target_is_directory=True)

    with pytest.raises(UnsafePath):
        paths.confine(link)
    with pytest.raises(UnsafePath):
        paths.confine(link / "secret.txt")
    with pytest.raises(UnsafePath):
        paths.project_dir("escape")
    with pytest.raises(UnsafePath):
        paths.child(link, "secret.txt")
    with pytest.raises(UnsafePath):
        paths.derivative_path("escape", "thumbnail", "secret", "webp")
    # Refusing touched nothing outside.
    assert (outside / "secret.txt").read_text(encoding="utf-8") == "not yours"


def test_file_symlink_out_of_a_project_is_refused(tmp_path: Path, paths: LibraryPaths) -> None:
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0", encoding="utf-8")
    project = paths.project_dir("Wedding")
    project.mkdir()
    (project / "DSC0001.JPG").symlink_to(outside)
    with pytest.raises(UnsafePath):
        paths.child(project, "DSC0001.JPG")


def test_symlink_that_stays_inside_the_library_is_allowed(paths: LibraryPaths) -> None:
    real = paths.projects_root / "Real"
    real.mkdir()
    alias = paths.projects_root / "Alias"
    alias.symlink_to(real, target_is_directory=True)
    assert paths.confine(alias) == real


def test_symlinked_data_folder_itself_is_fine(tmp_path: Path) -> None:
    # A data folder reached through a symlink (e.g. /srv/photos -> /mnt/disk) is the library.
    real = tmp_path / "disk"
    real.mkdir()
    link = tmp_path / "photos"
    link.symlink_to(real, target_is_directory=True)
    library = LibraryPaths(link, "user_0")
    library.projects_root.mkdir(parents=True)
    assert library.project_dir("Wedding") == real.resolve() / "projects" / "user_0" / "Wedding"


@pytest.mark.parametrize(
    ("kind", "folder_name"), [("thumbnail", ".thumb"), ("preview", ".preview")]
)
def test_derivative_path_names_files(paths: LibraryPaths, kind: str, folder_name: str) -> None:
    path = paths.derivative_path("Wedding", kind, "DSC01234", "webp")
    assert path == paths.projects_root / "Wedding" / folder_name / "DSC01234.webp"
    jpeg = paths.derivative_path("Wedding", kind, "DSC01234", "jpg")
    assert jpeg.name == "DSC01234.jpg"
    assert jpeg.parent.name == folder_name


def test_derivative_path_refuses_unknown_kinds_and_unsafe_basenames(paths: LibraryPaths) -> None:
    with pytest.raises(KeyError):
        paths.derivative_path("Wedding", "original", "DSC01234", "webp")
    for basename in ("../DSC01234", "a/b", "x\x00y"):
        with pytest.raises(UnsafePath):
            paths.derivative_path("Wedding", "thumbnail", basename, "webp")
    with pytest.raises(UnsafePath):
        paths.derivative_path("..", "thumbnail", "DSC01234", "webp")


def test_create_project_dirs(paths: LibraryPaths) -> None:
    project = paths.create_project_dirs("Wedding")
    assert sorted(p.name for p in project.iterdir()) == [".preview", ".thumb", ".trash"]
    with pytest.raises(FileExistsError):
        paths.create_project_dirs("Wedding")
    with pytest.raises(UnsafePath):
        paths.create_project_dirs("../Wedding")
    assert not (paths.root / "projects" / "Wedding").exists()


def test_existing_folder_keys_are_casefolded(paths: LibraryPaths) -> None:
    assert paths.existing_folder_keys() == set()
    (paths.projects_root / "Wedding").mkdir()
    (paths.projects_root / "\uff21lbum").mkdir()
    assert paths.existing_folder_keys() == {"wedding", "album"}


def test_missing_projects_root_has_no_folder_keys(tmp_path: Path) -> None:
    library = LibraryPaths(tmp_path / "nowhere", "user_0")
    assert library.existing_folder_keys() == set()
    assert not os.path.exists(tmp_path / "nowhere")


def test_derivative_files_are_found_by_exact_name(paths: LibraryPaths) -> None:
    paths.create_project_dirs("Wedding")
    made = [
        paths.derivative_path("Wedding", "thumbnail", "IMG_1 [v2]", "webp"),
        paths.derivative_path("Wedding", "preview", "IMG_1 [v2]", "jpg"),
        paths.derivative_path("Wedding", "thumbnail", "IMG_1 2", "webp"),  # matches as a pattern
        paths.derivative_path("Wedding", "preview", "a*b", "jpg"),
        paths.derivative_path("Wedding", "preview", "aXb", "jpg"),
    ]
    for path in made:
        path.write_bytes(b"x")
    assert paths.derivative_files("Wedding", "IMG_1 [v2]") == [
        ("thumbnail", made[0]),
        ("preview", made[1]),
    ]
    assert paths.derivative_files("Wedding", "a*b") == [("preview", made[3])]
    assert paths.derivative_files("Wedding", "x?") == []
    with pytest.raises(ValueError):
        paths.derivative_path("Wedding", "thumbnail", "IMG_1", "png")
