"""What an image request is answered with: the photo a project folder and basename name, a
derivative file that can be trusted (made on the spot when it cannot), and the original a browser
can show as it is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from contactsheet.catalog.photos import file_kind, split_name
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import DerivativeStatus, ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.derivatives.cache import file_matches, file_size_of
from contactsheet.derivatives.generate import generate_photo, load_source
from contactsheet.derivatives.params import derivative_path, specs
from contactsheet.errors import PhotoNotFound, Undecodable
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime

# Originals a browser shows without help, by extension, with their media types.
BROWSER_FORMATS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mpo": "image/jpeg",
                   ".png": "image/png", ".webp": "image/webp"}  # fmt: skip


def photo_named(runtime: Runtime, folder: str, basename: str) -> int:
    """The id of the photo `basename` of the project in `folder` (names compare as the library
    compares them: case and Unicode form aside)."""
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        photo_id = session.scalar(
            select(Photo.id).where(
                Photo.project_id == project.id, Photo.basename_key == name_key(basename)
            )
        )
    if photo_id is None:
        raise PhotoNotFound(f"no photo {basename!r} in {folder!r}")
    return photo_id


def derivative_file(runtime: Runtime, photo_id: int, kind: str) -> Path:
    """The photo's `kind` file, trusted only when it is the file its record describes; otherwise
    made now. `Undecodable` when nothing can be made."""
    source, records = load_source(runtime, photo_id)
    path = derivative_path(
        runtime.paths, source.folder, source.basename, specs(runtime.settings.processing)[kind]
    )
    if not file_matches(records.get(kind), file_size_of(path)):
        outcome = generate_photo(runtime, photo_id, force=False)
        made = outcome.statuses.get(kind) == DerivativeStatus.GENERATED
        if not made or file_size_of(path) is None:
            # Undecodable, or nothing to make it from: the source itself is gone (its record
            # may still say `generated`).
            raise Undecodable(outcome.error or "the derivative could not be made")
    return path


def viewable_original(runtime: Runtime, photo_id: int) -> Path | None:
    """The original a browser shows as it is, JPG first; None when the photo has none. Read again
    after the lookup: the photo or its project may have gone since."""
    with runtime.db.read() as session:
        row = session.execute(
            select(Photo.filenames, Project.folder)
            .join(Project, Project.id == Photo.project_id)
            .where(Photo.id == photo_id, Project.status == ProjectStatus.ACTIVE)
        ).first()
    if row is None:
        raise PhotoNotFound(f"no photo {photo_id} any more")
    filenames, folder = row
    viewable = sorted(
        (n for n in filenames if split_name(n)[1].lower() in BROWSER_FORMATS),
        key=lambda n: file_kind(n) != "jpg",
    )
    if not viewable:
        return None
    return runtime.paths.child(runtime.paths.project_dir(folder), viewable[0])
