"""Which original file a download serves, found through the catalog and confined to the library."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.errors import NotFound, PhotoNotFound
from contactsheet.imaging.engine import pick_source
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime


@dataclass(frozen=True)
class Original:
    photo_id: int
    filename: str
    path: Path

    @property
    def media_type(self) -> str:
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"


def file_of_project(runtime: Runtime, folder: str, filename: str) -> tuple[int, str]:
    """(photo id, the file's name as stored) of the photo holding `filename` in the project."""
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        row = session.execute(
            select(PhotoFile.photo_id, PhotoFile.filename)
            .join(Photo, Photo.id == PhotoFile.photo_id)
            .where(Photo.project_id == project.id, PhotoFile.filename_key == name_key(filename))
        ).first()
    if row is None:
        raise NotFound(f"no file {filename!r} in {folder!r}")
    return int(row[0]), str(row[1])


def original(runtime: Runtime, photo_id: int, filename: str | None = None) -> Original:
    """The photo's file `filename`, or (None) the one a visitor downloads: its JPG, else its other
    image, else its RAW. `PhotoNotFound` when the photo, its project or the file is gone."""
    with runtime.db.read() as session:
        row = session.execute(
            select(Photo.filenames, Project.folder)
            .join(Project, Project.id == Photo.project_id)
            .where(
                Photo.id == photo_id,
                Project.tenant == runtime.tenant,
                Project.status == ProjectStatus.ACTIVE,
            )
        ).first()
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id}")
    filenames, folder = row
    if filename is None:
        chosen = pick_source(filenames)
    else:
        chosen = next((n for n in filenames if name_key(n) == name_key(filename)), None)
    if chosen is None:
        raise PhotoNotFound(f"photo {photo_id} has no such file")
    return Original(photo_id, chosen, runtime.paths.file_named(folder, chosen))
