"""Indexing files that appeared in a project folder by hand (`folder_check`).

The rules of docs/ingest.md, for files that are already in the folder:
- a file with the content of another file of the project is a copy: it is left where it is,
  not indexed, and reported `identical` (the photo is already there under the other name);
- a file with the content of a file of another project is indexed (it was put here) and
  reported `identical_elsewhere`, with that project;
- a file whose name (ignoring case) is that of a file of the same type of a photo, with other
  content (`portrait_1.jpg` beside `Portrait_1.jpg`), is a different photo: it is renamed on
  disk to the first free `<basename>_N` (a photo's files share its basename) and reported;
- otherwise it joins (or becomes) the photo of its basename, as do XMP sidecars; anything else
  is reported as unmanaged and left exactly where it is.
User decisions of photos already known are never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.identity import disk_fingerprint, find_twins
from contactsheet.catalog.metadata import apply_metadata
from contactsheet.catalog.photos import (
    FileFacts,
    add_file,
    file_kind,
    new_photo,
    photo_in_project,
    same_type_files,
    split_name,
)
from contactsheet.catalog.projects import hold_project
from contactsheet.db.tables import Photo, Project
from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from contactsheet.ingest.classify import Classifier
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
    identical: list[dict[str, Any]] = field(default_factory=list)  # left on disk, not indexed
    identical_elsewhere: list[dict[str, Any]] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)


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
    mtime_ns: int | None = None
    fingerprint: str | None = None


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
        value = disk_fingerprint(path, stat.st_size) if kind is not None else None
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        found.append(FoundFile(path, stat.st_size, modified, metadata, stat.st_mtime_ns, value))
    return found


def index_files(
    session: Session, paths: LibraryPaths, project: Project, files: list[FoundFile]
) -> IndexReport:
    """Add `files` (already in the project folder) to the catalog.

    `files` were listed outside this transaction, so another check (or an upload) may have
    indexed some of them since: under the project's lock (`hold_project`, which placement holds
    too) those are now known and skipped. Seen as strangers, they would be renamed aside.
    """
    report = IndexReport()
    hold_project(session, project.id)
    known = known_filenames(session, project.id)
    files = [found for found in files if found.path.name not in known]
    sidecars = []
    classifier = Classifier(session, paths, project)
    for found in files:
        name = found.path.name
        kind = file_kind(name)
        if kind is None:
            report.unmanaged.append(name)
            continue
        if kind == "sidecar":
            sidecars.append(found)
            continue
        _index_image(session, paths, project, classifier, found, report)
    for found in sidecars:
        photo = photo_in_project(session, project.id, split_name(found.path.name)[0])
        if photo is None:
            report.waiting_sidecars.append(found.path.name)
            continue
        add_file(photo, found.path.name, found.size, _facts(found))
        report.indexed.append(found.path.name)
    session.flush()
    return report


def _facts(found: FoundFile) -> FileFacts:
    return FileFacts(found.size, found.mtime_ns, found.fingerprint)


def _index_image(
    session: Session,
    paths: LibraryPaths,
    project: Project,
    classifier: Classifier,
    found: FoundFile,
    report: IndexReport,
) -> None:
    name = found.path.name
    if found.fingerprint is not None:
        twins = find_twins(session, paths, project.tenant, found.fingerprint, found.size)
        here = [t for t in twins if t.project_id == project.id]
        if here:
            report.identical.append({"name": name, "identical_to": here[0].as_dict()})
            return
        if twins:
            report.identical_elsewhere.append({"name": name, "identical_to": twins[0].as_dict()})
    basename = split_name(name)[0]
    photo = photo_in_project(session, project.id, basename)
    if photo is not None and same_type_files(photo, name):
        renamed = _rename_aside(classifier, found)
        if renamed is None:
            return  # its new name was taken meanwhile: the next check sees it again
        report.renamed.append({"name": name, "renamed_to": renamed.path.name})
        found, name, basename = renamed, renamed.path.name, split_name(renamed.path.name)[0]
        photo = None
    if photo is None:
        photo = new_photo(project, basename)
        session.add(photo)
        session.flush()
    add_file(photo, name, found.size, _facts(found))
    if found.metadata is not None:
        apply_metadata(photo, name, found.metadata, found.modified)
    session.flush()
    report.indexed.append(name)
    report.photo_ids.add(photo.id)


def _rename_aside(classifier: Classifier, found: FoundFile) -> FoundFile | None:
    """Give a file that collides with a photo's file the first free `<basename>_N` name, on
    disk (a hard link, so nothing is ever overwritten; the content and its times unchanged)."""
    stem, extension = split_name(found.path.name)
    target = found.path.with_name(f"{classifier.free_basename(stem)}{extension}")
    try:
        os.link(found.path, target)
    except FileExistsError:
        return None
    found.path.unlink()
    classifier.forget_disk()
    return FoundFile(
        target, found.size, found.modified, found.metadata, found.mtime_ns, found.fingerprint
    )


def new_files(session: Session, paths: LibraryPaths, project: Project) -> list[Path]:
    """Files in the project folder that no photo of the project lists."""
    known = known_filenames(session, project.id)
    return [p for p in candidate_files(paths.project_dir(project.folder)) if p.name not in known]
