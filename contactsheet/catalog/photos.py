"""Photos as groups of files: which files a photo has, what is available, what the user keeps.

The one place that changes a photo's files: `filenames` (read everywhere) and the `photo_files`
rows (each file's content identity, see docs/ingest.md) are written together here only.
Availability follows the files; keep flags are the user's decisions and are only ever set for a
format that just became available (indexing never resets a decision it already has).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.imaging.formats import kind_of, split_name
from contactsheet.library.names import name_key, numbered_copy

SIDECAR_EXTENSIONS = frozenset({".xmp"})


def file_kind(filename: str) -> str | None:
    """ "jpg", "raw", "other", "sidecar", or None for a file the app does not manage."""
    if split_name(filename)[1].lower() in SIDECAR_EXTENSIONS:
        return "sidecar"
    return kind_of(filename)


def files_of_kind(photo: Photo, kind: str) -> list[str]:
    return [name for name in photo.filenames if file_kind(name) == kind]


def same_type_names(names: list[str], filename: str) -> list[str]:
    """Those of `names` that are of the same type as `filename`, so one photo cannot hold both.

    JPEG and RAW are one type each (the keep flags are per type); other images and sidecars
    count as the same type only with the same extension.
    """
    kind = file_kind(filename)
    if kind in {"jpg", "raw"}:
        return [n for n in names if file_kind(n) == kind]
    extension = split_name(filename)[1].lower()
    return [n for n in names if split_name(n)[1].lower() == extension]


def same_type_files(photo: Photo, filename: str) -> list[str]:
    """The photo's files that `filename` would take the place of."""
    return same_type_names(list(photo.filenames), filename)


def refresh_availability(photo: Photo) -> None:
    """Derive availability from the file list; a newly available format starts as kept."""
    kinds = {file_kind(name) for name in photo.filenames}
    jpg, raw, other = "jpg" in kinds, "raw" in kinds, "other" in kinds
    if jpg and not photo.jpg_available:
        photo.keep_jpg = True
    if raw and not photo.raw_available:
        photo.keep_raw = True
    if not jpg:
        photo.keep_jpg = False
    if not raw:
        photo.keep_raw = False
    photo.jpg_available, photo.raw_available, photo.other_available = jpg, raw, other


@dataclass(frozen=True)
class FileFacts:
    """What is known of a file when it joins a photo: its content's identity as read from disk
    (size, modification time, fingerprint) and where it came from (upload batch, source key)."""

    size: int | None = None
    mtime_ns: int | None = None
    fingerprint: str | None = None
    batch: str | None = None
    source_key: str | None = None


def file_record(photo: Photo, filename: str) -> PhotoFile | None:
    return next((f for f in photo.files if f.filename == filename), None)


def facts_of(record: PhotoFile | None) -> FileFacts | None:
    if record is None:
        return None
    return FileFacts(
        record.size, record.mtime_ns, record.fingerprint, record.batch, record.source_key
    )


def add_file(photo: Photo, filename: str, size: int, facts: FileFacts | None = None) -> PhotoFile:
    names = [n for n in photo.filenames if n != filename]
    photo.filenames = sorted([*names, filename])
    photo.file_size = (photo.file_size or 0) + size
    refresh_availability(photo)
    record = file_record(photo, filename)
    if record is None:
        record = PhotoFile(tenant=photo.tenant, filename=filename, filename_key=name_key(filename))
        photo.files.append(record)
    facts = facts or FileFacts(size=size)
    record.size, record.mtime_ns, record.fingerprint = facts.size, facts.mtime_ns, facts.fingerprint
    record.batch, record.source_key = facts.batch, facts.source_key
    return record


def remove_file(photo: Photo, filename: str, size: int) -> None:
    photo.filenames = [n for n in photo.filenames if n != filename]
    photo.file_size = max(0, (photo.file_size or 0) - size)
    refresh_availability(photo)
    record = file_record(photo, filename)
    if record is not None:
        photo.files.remove(record)


def rename_file(photo: Photo, filename: str, new_name: str) -> None:
    """The same file under a new name (its content, so its identity, unchanged)."""
    photo.filenames = sorted(new_name if n == filename else n for n in photo.filenames)
    record = file_record(photo, filename)
    if record is not None:
        record.filename, record.filename_key = new_name, name_key(new_name)


def new_photo(project: Project, basename: str) -> Photo:
    return Photo(
        tenant=project.tenant,
        project_id=project.id,
        basename=basename,
        basename_key=name_key(basename),
        filenames=[],
        jpg_available=False,
        raw_available=False,
        other_available=False,
        keep_jpg=False,
        keep_raw=False,
        file_size=0,
    )


def photo_in_project(session: Session, project_id: int, basename: str) -> Photo | None:
    return session.scalar(
        select(Photo).where(
            Photo.project_id == project_id, Photo.basename_key == name_key(basename)
        )
    )


def photo_elsewhere(
    session: Session, project: Project, basename: str
) -> tuple[Photo, Project] | None:
    row = session.execute(
        select(Photo, Project)
        .join(Project, Project.id == Photo.project_id)
        .where(
            Photo.tenant == project.tenant,
            Photo.basename_key == name_key(basename),
            Photo.project_id != project.id,
            Project.status == ProjectStatus.ACTIVE,
        )
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def basenames_on_disk(folder: Path) -> set[str]:
    """The name keys of the basenames of every entry in `folder`, compared exactly (a name is
    never made into a pattern: `IMG_1 [v2]` is not a character class)."""
    if not folder.is_dir():
        return set()
    return {name_key(split_name(entry.name)[0]) for entry in folder.iterdir()}


def free_basename(session: Session, project: Project, folder: Path, basename: str) -> str:
    """The numbered copy of `basename` (see `numbered_copy`) held by no photo of the project nor
    by any file in `folder` (one put there by hand and not indexed yet would join it)."""
    on_disk = basenames_on_disk(folder)

    def is_free(candidate: str) -> bool:
        if name_key(candidate) in on_disk:
            return False
        return photo_in_project(session, project.id, candidate) is None

    return numbered_copy(basename, is_free)
