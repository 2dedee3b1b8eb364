"""Content identity of the library's photo files: which files hold the same bytes.

A recorded fingerprint counts only while its file on disk still has the recorded size and
modification time (the disk is the truth). When it does not, or none was recorded (files from
before content identity was kept), the file is read when a comparison first needs it and the
record is brought up to date, so each file is hashed once, not at every upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.errors import ContactSheetError
from contactsheet.imaging.fingerprint import fingerprint
from contactsheet.library.paths import LibraryPaths


@dataclass(frozen=True)
class Twin:
    """A file of the library with the same content as the one being compared."""

    project_id: int
    project_folder: str
    project_name: str
    photo_id: int | None  # None for a file in the folder that is not indexed yet
    filename: str

    def as_dict(self) -> dict[str, object]:
        return {
            "project": self.project_folder,
            "project_name": self.project_name,
            "photo_id": self.photo_id,
            "filename": self.filename,
        }


def disk_fingerprint(path: Path, size: int | None = None) -> str | None:
    """The fingerprint of the file at `path`; None when it is not there, cannot be read, or
    is not `size` bytes long (then it cannot be the same content, and is not read)."""
    try:
        if size is not None and path.stat().st_size != size:
            return None
        return fingerprint(path)
    except OSError:
        return None


def current_fingerprint(record: PhotoFile, path: Path, size: int | None = None) -> str | None:
    """The fingerprint of `record`'s file as it is on disk now, the record refreshed when it was
    out of date. None when the file is gone, or is not `size` bytes long (its size and time are
    recorded then, so the next comparison skips it without reading it)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    same_file = record.size == stat.st_size and record.mtime_ns == stat.st_mtime_ns
    if same_file and record.fingerprint is not None:
        return record.fingerprint
    if not same_file:
        record.size, record.mtime_ns, record.fingerprint = stat.st_size, stat.st_mtime_ns, None
    if size is not None and stat.st_size != size:
        return None
    try:
        value = fingerprint(path)
    except OSError:
        return None
    if path.stat().st_mtime_ns == stat.st_mtime_ns:  # not changed while it was read
        record.fingerprint = value
    return value


def find_twins(
    session: Session, paths: LibraryPaths, tenant: str, value: str, size: int | None
) -> list[Twin]:
    """The files of active projects whose content has fingerprint `value`, with one indexed
    query: records of that fingerprint, and those whose fingerprint is not known yet (of `size`
    bytes, or of a size not known yet either), each checked against the file on disk."""
    unknown = PhotoFile.fingerprint.is_(None)
    if size is not None:
        unknown = and_(unknown, or_(PhotoFile.size.is_(None), PhotoFile.size == size))
    rows = session.execute(
        select(PhotoFile, Photo.project_id, Project.folder, Project.name)
        .join(Photo, Photo.id == PhotoFile.photo_id)
        .join(Project, Project.id == Photo.project_id)
        .where(
            PhotoFile.tenant == tenant,
            or_(PhotoFile.fingerprint == value, unknown),
            Project.status == ProjectStatus.ACTIVE,
        )
        .order_by(PhotoFile.id)
    )
    twins = []
    for record, project_id, folder, name in rows:
        try:
            path = paths.child(paths.project_dir(folder), record.filename)
        except ContactSheetError:
            continue
        if current_fingerprint(record, path, size) == value:
            twins.append(Twin(project_id, folder, name, record.photo_id, record.filename))
    return twins
