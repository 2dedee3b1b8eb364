"""Indexing files that appeared in a project folder by hand (`folder_check`).

A file of an accepted type joins (or becomes) the photo of its basename; an XMP sidecar joins the
photo of its basename; anything else is reported as unmanaged and left exactly where it is. User
decisions of photos already known are never touched (SPEC §13).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.metadata import apply_metadata
from contactsheet.catalog.photos import add_file, file_kind, new_photo, photo_in_project, split_name
from contactsheet.db.tables import Photo, Project
from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from contactsheet.ingest.staging import STAGING_PREFIX
from contactsheet.library.atomic import TEMP_PREFIX
from contactsheet.library.paths import LibraryPaths

CHUNK = 200


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    photo_ids: set[int] = field(default_factory=set)
    unmanaged: list[str] = field(default_factory=list)
    waiting_sidecars: list[str] = field(default_factory=list)


def candidate_files(folder: Path) -> list[Path]:
    """Regular files of the project folder the app may care about (not hidden, not in transit)."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", STAGING_PREFIX, TEMP_PREFIX)) or not entry.is_file():
            continue
        if entry.is_symlink():
            continue  # never follow a link out of the library
        found.append(entry)
    return found


def known_filenames(session: Session, project_id: int) -> set[str]:
    names: set[str] = set()
    for filenames in session.scalars(select(Photo.filenames).where(Photo.project_id == project_id)):
        names.update(filenames)
    return names


@dataclass(frozen=True)
class FoundFile:
    """A file seen on disk, with what was read from it outside any transaction."""

    path: Path
    size: int
    modified: datetime
    metadata: PhotoMetadata | None


def scan(paths: Iterable[Path]) -> list[FoundFile]:
    """Stat the files and read image metadata; slow work kept out of write transactions."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue  # gone since the listing
        kind = file_kind(path.name)
        metadata = read_metadata(path) if kind not in (None, "sidecar") else None
        found.append(
            FoundFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC), metadata)
        )
    return found


def index_files(session: Session, project: Project, files: list[FoundFile]) -> IndexReport:
    """Add `files` (already in the project folder) to the catalog."""
    report = IndexReport()
    sidecars = []
    for found in files:
        name = found.path.name
        kind = file_kind(name)
        if kind is None:
            report.unmanaged.append(name)
            continue
        if kind == "sidecar":
            sidecars.append(found)
            continue
        basename = split_name(name)[0]
        photo = photo_in_project(session, project.id, basename)
        if photo is None:
            photo = new_photo(project, basename)
            session.add(photo)
            session.flush()
        add_file(photo, name, found.size)
        if found.metadata is not None:
            apply_metadata(photo, name, found.metadata, found.modified)
        report.indexed.append(name)
        report.photo_ids.add(photo.id)
    for found in sidecars:
        photo = photo_in_project(session, project.id, split_name(found.path.name)[0])
        if photo is None:
            report.waiting_sidecars.append(found.path.name)
            continue
        add_file(photo, found.path.name, found.size)
        report.indexed.append(found.path.name)
    session.flush()
    return report


def new_files(session: Session, paths: LibraryPaths, project: Project) -> list[Path]:
    """Files in the project folder that no photo of the project lists."""
    known = known_filenames(session, project.id)
    return [p for p in candidate_files(paths.project_dir(project.folder)) if p.name not in known]
