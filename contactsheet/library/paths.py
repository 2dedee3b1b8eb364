"""Every path in the library, built in one place and confined to the data folder.

Layout (docs/architecture.md, "The library on disk"):
    <data>/db/<tenant>.sqlite
    <data>/projects/<tenant>/<folder>/            originals
    <data>/projects/<tenant>/<folder>/.thumb/     thumbnails
    <data>/projects/<tenant>/<folder>/.preview/   previews
    <data>/projects/<tenant>/<folder>/.trash/     files removed by the app, kept 24 h
    <data>/projects/<tenant>/<folder>/.project.yaml
    <data>/trash/<tenant>/projects/               whole deleted project folders, kept 24 h
    <data>/secret.key                             token signing key, when not configured
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath

from contactsheet.errors import UnsafePath
from contactsheet.library.names import name_key

THUMB_DIR = ".thumb"
PREVIEW_DIR = ".preview"
TRASH_DIR = ".trash"
MANIFEST_NAME = ".project.yaml"
DERIVATIVE_DIRS = {"thumbnail": THUMB_DIR, "preview": PREVIEW_DIR}
# Derivative file extension by image format: every name a derivative file can have.
DERIVATIVE_EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


def regular_file_size(path: str | os.PathLike[str]) -> int | None:
    """The size of a regular file at `path`; None when nothing is there or it is a link or a
    folder (a file a link points at is never the library's)."""
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


def derivative_name(basename: str, extension: str) -> str:
    """The name of a derivative file in its folder (`LibraryPaths.derivative_path` builds the
    whole path; a step that checks many files of one folder joins this to the folder it
    confined once)."""
    if extension not in DERIVATIVE_EXTENSIONS.values():
        raise ValueError(f"not a derivative extension: {extension!r}")
    name = f"{basename}.{extension}"
    if not is_single_component(name):
        raise UnsafePath(f"not a single path component: {name!r}")
    return name


def is_single_component(name: str) -> bool:
    return (
        bool(name)
        and name not in {".", ".."}
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


@dataclass(frozen=True)
class LibraryPaths:
    root: Path
    tenant: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.expanduser().resolve())

    @property
    def db_dir(self) -> Path:
        return self.root / "db"

    @property
    def secret_key_file(self) -> Path:
        return self.root / "secret.key"

    @property
    def projects_root(self) -> Path:
        return self.root / "projects" / self.tenant

    @property
    def deleted_projects_root(self) -> Path:
        return self.root / "trash" / self.tenant / "projects"

    def confine(self, path: Path) -> Path:
        """`path` resolved (symlinks followed); refuses anything that ends outside the library."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise UnsafePath(f"path leaves the library: {path}")
        return resolved

    def child(self, parent: Path, name: str) -> Path:
        """`parent / name` for a single name component that stays inside `parent`."""
        if not is_single_component(name):
            raise UnsafePath(f"not a single path component: {name!r}")
        path = self.confine(parent / name)
        if path.parent != self.confine(parent):
            raise UnsafePath(f"path leaves its folder: {name!r}")
        return path

    def file_named(self, folder: str, name: str) -> Path:
        """A file of a project by its own name, not resolved: what is sent to someone else (a
        download, a zip) is opened at this path with `O_NOFOLLOW`, so a link left under a
        photo's name, even to a file in the same folder, is refused rather than read through."""
        if not is_single_component(name):
            raise UnsafePath(f"not a single path component: {name!r}")
        return self.project_dir(folder) / name

    def stored(self, relative: str) -> Path:
        """A path kept in the database (relative to the root) made absolute again, one checked
        component at a time: a stored value can neither climb out of the library nor end
        somewhere a link points."""
        pure = PurePath(relative)
        if pure.is_absolute() or not pure.parts:
            raise UnsafePath(f"not a path inside the library: {relative!r}")
        path = self.root
        for part in pure.parts:
            path = self.child(path, part)
        return path

    def project_dir(self, folder: str) -> Path:
        return self.child(self.projects_root, folder)

    def app_dir(self, folder: str, name: str) -> Path:
        """One of the app's own folders of a project (`.thumb`, `.preview`, `.trash`).

        It must be a real folder of the project: one replaced by a link is refused, wherever the
        link leads, so no move, commit or cache write ever reaches through it.
        """
        project = self.project_dir(folder)
        path = project / name
        if path.is_symlink() or self.confine(path).parent != project:
            raise UnsafePath(
                f"{folder}/{name} is a link, not a folder of the project: the app does not"
                " follow it"
            )
        return path

    def thumb_dir(self, folder: str) -> Path:
        return self.app_dir(folder, THUMB_DIR)

    def preview_dir(self, folder: str) -> Path:
        return self.app_dir(folder, PREVIEW_DIR)

    def trash_dir(self, folder: str) -> Path:
        return self.app_dir(folder, TRASH_DIR)

    def manifest_path(self, folder: str) -> Path:
        return self.project_dir(folder) / MANIFEST_NAME

    def derivative_path(self, folder: str, kind: str, basename: str, extension: str) -> Path:
        """The one place that names derivative files; every step asks it, so no
        step can look for `.jpg` while another writes `.webp`."""
        return self.child(
            self.app_dir(folder, DERIVATIVE_DIRS[kind]), derivative_name(basename, extension)
        )

    def derivative_files(self, folder: str, basename: str) -> list[tuple[str, Path]]:
        """(kind, path) of every derivative file of `basename` on disk, whatever format made it.

        Exact names only: a basename is never turned into a pattern, so `IMG_1 [v2]` finds the
        files of `IMG_1 [v2]` and not those of `IMG_1 2`. A derivative folder replaced by a link
        holds nothing of the library's: its files are never listed, so never moved or trashed.
        """
        found = []
        for kind, name in DERIVATIVE_DIRS.items():
            try:
                self.app_dir(folder, name)
            except UnsafePath:
                continue
            for extension in sorted(set(DERIVATIVE_EXTENSIONS.values())):
                path = self.derivative_path(folder, kind, basename, extension)
                if path.is_file():
                    found.append((kind, path))
        return found

    def create_project_dirs(self, folder: str) -> Path:
        project = self.project_dir(folder)
        project.mkdir(parents=True, exist_ok=False)
        for sub in (THUMB_DIR, PREVIEW_DIR, TRASH_DIR):
            (project / sub).mkdir()
        return project

    def existing_folder_keys(self) -> set[str]:
        """Casefolded names already on disk, so a new folder never collides on any filesystem."""
        if not self.projects_root.is_dir():
            return set()
        return {name_key(entry.name) for entry in self.projects_root.iterdir()}
