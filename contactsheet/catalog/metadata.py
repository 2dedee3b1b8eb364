"""Photo metadata in the catalog: which file speaks for the photo, and copying what it says."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select

from contactsheet.clock import utcnow
from contactsheet.db.chunks import chunked
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.imaging.engine import pick_source
from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from contactsheet.workers.context import JobContext


def apply_metadata(
    photo: Photo, filename: str, metadata: PhotoMetadata, file_time: datetime | None = None
) -> bool:
    """Copy `metadata` read from `filename` onto the photo if that file is the photo's source
    (its JPG, else its other image, else its RAW). Returns whether it was applied.

    Only camera facts are written; the user's decisions (keep, rating, pick, tags, visibility)
    are never touched here.
    """
    if pick_source(photo.filenames) != filename:
        return False
    photo.date_time_original = metadata.date_time_original
    photo.taken_at = metadata.taken_at or file_time or photo.taken_at or utcnow()
    photo.orientation = metadata.orientation
    photo.width, photo.height = metadata.width, metadata.height
    photo.make, photo.model, photo.lens = metadata.make, metadata.model, metadata.lens
    photo.exposure_time = metadata.exposure_time
    photo.f_number = metadata.f_number
    photo.iso = metadata.iso
    photo.focal_length = metadata.focal_length
    photo.gps_lat, photo.gps_lon = metadata.gps_lat, metadata.gps_lon
    photo.exif = {"source": filename, **metadata.extra}
    return True


def _photo_batches(context: JobContext, size: int) -> Iterator[list[tuple[int, str, str]]]:
    """(photo id, project folder, source file name) in batches, for the payload's photos, the
    job's project, or the whole library."""
    query = (
        select(Photo.id, Project.folder, Photo.filenames)
        .join(Project, Project.id == Photo.project_id)
        .where(Project.status == ProjectStatus.ACTIVE)
        .order_by(Photo.id)
    )
    if "photo_ids" in context.payload:
        for chunk in chunked(sorted({int(i) for i in context.payload["photo_ids"]}), size):
            with context.runtime.db.read() as session:
                rows = session.execute(query.where(Photo.id.in_(chunk))).all()
            yield _with_source(rows)
        return
    if context.job.project_id is not None:
        query = query.where(Photo.project_id == context.job.project_id)
    last = 0
    while True:
        with context.runtime.db.read() as session:
            rows = session.execute(query.where(Photo.id > last).limit(size)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield _with_source(rows)


def _with_source(rows: Sequence[Row[tuple[int, str, list[str]]]]) -> list[tuple[int, str, str]]:
    return [(pid, folder, source) for pid, folder, names in rows if (source := pick_source(names))]


def regenerate_metadata(context: JobContext) -> dict[str, Any]:
    """Step `regenerate_metadata`: re-read each photo's metadata from its source file."""
    paths = context.runtime.paths
    updated = missing = 0
    for batch in _photo_batches(context, 200):
        context.check_canceled()
        read = []
        for photo_id, folder, source in batch:
            path = paths.child(paths.project_dir(folder), source)
            if not path.is_file():
                missing += 1
                continue
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            read.append((photo_id, source, read_metadata(path), modified))
        with context.runtime.db.write() as session:
            for photo_id, source, metadata, modified in read:
                photo = session.get(Photo, photo_id)
                if photo is not None and apply_metadata(photo, source, metadata, modified):
                    updated += 1
    return {"updated": updated, "source_missing": missing}
