"""Names with glob metacharacters (`IMG_1 [v2].JPG`, `a*b.JPG`, `x?.JPG`) are ordinary names:
commit, move and the duplicate-name lookup find exactly the files of that basename, nothing else.

Files arrive the way a user puts them there (an upload keeps brackets; `*` and `?` only arrive by
hand), derivatives are really generated, and tasks run through the real queue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contactsheet.db.enums import DerivativeKind
from contactsheet.db.tables import Project
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    make_project,
    make_samples,
    photos,
    preview,
    run_all,
    set_decisions,
    start,
    store,
    thumbnail,
    visible,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("glob-samples"))


def derivatives_of(runtime: Runtime, folder: str, basename: str) -> dict[str, Path]:
    return {
        DerivativeKind.THUMBNAIL: thumbnail(runtime, folder, basename),
        DerivativeKind.PREVIEW: preview(runtime, folder, basename),
    }


def derived_names(runtime: Runtime, folder: str) -> list[str]:
    directory = runtime.paths.project_dir(folder)
    return sorted(
        f"{sub}/{p.name}" for sub in (".thumb", ".preview") for p in (directory / sub).iterdir()
    )


def trashed_names(runtime: Runtime, folder: str) -> list[str]:
    """Names in `.trash` without the stamp the trash adds in front."""
    trash = runtime.paths.project_dir(folder) / ".trash"
    return sorted(p.name.split("-", 2)[2] for p in trash.iterdir())


def by_hand(runtime: Runtime, samples: Samples, project: Project, files: dict[str, str]) -> None:
    """Copy sample files in under names an upload would have cleaned, and index them."""
    directory = runtime.paths.project_dir(project.folder)
    for name, which in files.items():
        samples.copy(which, directory / name)
    start(runtime, "folder_check", project_id=project.id)
    run_all(runtime)


def move(runtime: Runtime, ids: list[int], dest: Project) -> None:
    start(
        runtime,
        "image_move",
        project_id=dest.id,
        payload={"photo_ids": ids, "dest_project_id": dest.id},
    )
    run_all(runtime)


def test_commit_trashes_the_derivatives_of_a_bracketed_name(
    runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Brackets")
    # Another photo whose name the glob `IMG_1 [v2].*` would match: its files must stay.
    store(
        runtime,
        project,
        {
            "IMG_1 [v2].JPG": samples.jpg,
            "IMG_1 [v2].DNG": samples.raw,
            "IMG_1 v.JPG": samples.jpg_other,
        },
    )
    run_all(runtime)
    folder = project.folder
    bracketed = derivatives_of(runtime, folder, "IMG_1 [v2]")
    other = derivatives_of(runtime, folder, "IMG_1 v")
    assert all(p.is_file() for p in [*bracketed.values(), *other.values()])

    bracket_id = photos(runtime, project.id)["IMG_1 [v2]"].id
    set_decisions(runtime, bracket_id, keep_jpg=False)
    start(runtime, "change_commit", project_id=project.id)
    run_all(runtime)

    directory = runtime.paths.project_dir(folder)
    assert visible(directory) == ["IMG_1 [v2].DNG", "IMG_1 v.JPG"]
    assert sorted(trashed_names(runtime, folder)) == sorted(
        ["IMG_1 [v2].JPG", bracketed["thumbnail"].name, bracketed["preview"].name]
    )
    # The RAW is left: its derivatives are made again from it, under the same exact name.
    assert all(p.is_file() for p in bracketed.values())
    assert all(p.is_file() for p in other.values())
    assert derived_names(runtime, folder) == sorted(
        f"{p.parent.name}/{p.name}" for p in [*bracketed.values(), *other.values()]
    )


@pytest.mark.parametrize("basename", ["a*b", "x?", "IMG_1 [v2]"])
def test_commit_of_a_whole_photo_leaves_no_derivative_behind(
    runtime: Runtime, samples: Samples, basename: str
) -> None:
    project = make_project(runtime, "Whole")
    # A neighbour that every one of those names matches as a pattern.
    neighbour = {"a*b": "aXb", "x?": "xy", "IMG_1 [v2]": "IMG_1 2"}[basename]
    by_hand(runtime, samples, project, {f"{basename}.JPG": "jpg", f"{neighbour}.JPG": "jpg_other"})
    folder = project.folder
    assert set(photos(runtime, project.id)) == {basename, neighbour}
    assert all(p.is_file() for p in derivatives_of(runtime, folder, basename).values())

    set_decisions(runtime, photos(runtime, project.id)[basename].id, keep_jpg=False)
    start(runtime, "change_commit", project_id=project.id)
    run_all(runtime)

    assert set(photos(runtime, project.id)) == {neighbour}
    assert visible(runtime.paths.project_dir(folder)) == [f"{neighbour}.JPG"]
    gone = derivatives_of(runtime, folder, basename)
    assert sorted(trashed_names(runtime, folder)) == sorted(
        [f"{basename}.JPG", *(p.name for p in gone.values())]
    )
    kept = derivatives_of(runtime, folder, neighbour)
    assert derived_names(runtime, folder) == sorted(
        f"{p.parent.name}/{p.name}" for p in kept.values()
    )


@pytest.mark.parametrize(
    ("basename", "lookalike"), [("IMG_1 [v2]", "IMG_1 2"), ("a*b", "aXXb"), ("x?", "xy")]
)
def test_move_takes_derivatives_along_and_sees_no_false_clash(
    runtime: Runtime, samples: Samples, basename: str, lookalike: str
) -> None:
    source, dest = make_project(runtime, "From"), make_project(runtime, "To")
    by_hand(runtime, samples, source, {f"{basename}.JPG": "jpg", f"{basename}.DNG": "raw"})
    # At the destination, a file whose name the basename matches as a pattern: no clash.
    by_hand(runtime, samples, dest, {f"{lookalike}.JPG": "jpg_other"})
    moving = photos(runtime, source.id)[basename]
    made = {k: p.read_bytes() for k, p in derivatives_of(runtime, source.folder, basename).items()}

    move(runtime, [moving.id], dest)

    assert visible(runtime.paths.project_dir(source.folder)) == []
    assert derived_names(runtime, source.folder) == [], "derivatives left behind"
    there = photos(runtime, dest.id)
    assert set(there) == {basename, lookalike}
    assert there[basename].id == moving.id
    assert there[basename].filenames == [f"{basename}.DNG", f"{basename}.JPG"]
    assert visible(runtime.paths.project_dir(dest.folder)) == sorted(
        [f"{basename}.DNG", f"{basename}.JPG", f"{lookalike}.JPG"]
    )
    moved = derivatives_of(runtime, dest.folder, basename)
    assert {k: p.read_bytes() for k, p in moved.items()} == made


def test_duplicate_name_skips_a_file_already_there_by_hand(
    runtime: Runtime, samples: Samples
) -> None:
    source, dest = make_project(runtime, "Twins from"), make_project(runtime, "Twins to")
    store(runtime, source, {"IMG_1 [v2].JPG": samples.jpg})
    run_all(runtime)
    by_hand(runtime, samples, dest, {"IMG_1 [v2].JPG": "jpg_other"})  # the same name: a clash
    dest_dir = runtime.paths.project_dir(dest.folder)
    # Put there by another program, not indexed yet: the first duplicate name is taken on disk.
    samples.copy("raw", dest_dir / "IMG_1 [v2]_2.DNG")
    moving = photos(runtime, source.id)["IMG_1 [v2]"]

    move(runtime, [moving.id], dest)

    assert visible(dest_dir) == sorted(["IMG_1 [v2].JPG", "IMG_1 [v2]_2.DNG", "IMG_1 [v2]_3.JPG"])
    moved = photos(runtime, dest.id)["IMG_1 [v2]_3"]
    assert moved.id == moving.id and moved.filenames == ["IMG_1 [v2]_3.JPG"]
    assert (dest_dir / "IMG_1 [v2]_3.JPG").read_bytes() == samples.jpg.read_bytes()
    assert visible(runtime.paths.project_dir(source.folder)) == []
    assert derived_names(runtime, source.folder) == []
