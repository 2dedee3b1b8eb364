"""A photo as every listing shows it: its decisions, metadata, derivative state and addresses."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.bulk import tags_of
from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative, Photo


def derivative_states(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    """Per photo: each kind's status, and under "warning" what was wrong with a source shown anyway
    (every kind comes from the same decode, so they share it)."""
    found: dict[int, dict[str, str]] = {}
    rows = session.execute(
        select(Derivative.photo_id, Derivative.kind, Derivative.status, Derivative.warning).where(
            Derivative.photo_id.in_(ids)
        )
    )
    for photo_id, kind, status, warning in rows:
        found.setdefault(photo_id, {})[kind] = status
        if warning:
            found[photo_id]["warning"] = warning
    return found


@lru_cache(maxsize=4096)
def _project_base(folder: str) -> str:
    return f"/api/projects/{quote(folder)}"


def photo_item(photo: Photo | Any, folder: str, states: dict[str, str]) -> dict[str, Any]:
    """A photo (an ORM object, or a listing's ListedPhoto: the same fields) for the API."""
    base = _project_base(folder)
    name = quote(photo.basename)
    return {
        "id": photo.id,
        "project_id": photo.project_id,
        "project_folder": folder,
        "basename": photo.basename,
        "filenames": photo.filenames,
        "jpg_available": photo.jpg_available,
        "raw_available": photo.raw_available,
        "other_available": photo.other_available,
        "keep_jpg": photo.keep_jpg,
        "keep_raw": photo.keep_raw,
        "file_size": photo.file_size,
        "taken_at": photo.taken_at.isoformat(),
        "date_time_original": photo.date_time_original,
        "orientation": photo.orientation,
        "width": photo.width,
        "height": photo.height,
        "metadata": {
            "make": photo.make,
            "model": photo.model,
            "lens": photo.lens,
            "exposure_time": photo.exposure_time,
            "f_number": photo.f_number,
            "iso": photo.iso,
            "focal_length": photo.focal_length,
            "gps": [photo.gps_lat, photo.gps_lon] if photo.gps_lat is not None else None,
        },
        "visibility": photo.visibility,
        "rating": photo.rating,
        "pick": photo.pick,
        "thumbhash": photo.thumbhash,
        "thumbnail_status": states.get("thumbnail", DerivativeStatus.PENDING),
        "preview_status": states.get("preview", DerivativeStatus.PENDING),
        "derivative_warning": states.get("warning"),
        "thumbnail_url": f"{base}/thumbnail/{name}",
        "preview_url": f"{base}/preview/{name}",
        "image_url": f"{base}/image/{name}",
    }


def photo_items(session: Session, photos: list[Any], *, with_tags: bool) -> list[dict[str, Any]]:
    """`photo_item` for each of a listing's photos (ListedPhoto), with its tags when asked."""
    ids = [photo.id for photo in photos]
    states = derivative_states(session, ids)
    tags = tags_of(session, ids) if with_tags else None
    items = []
    for photo in photos:
        item = photo_item(photo, photo.folder, states.get(photo.id, {}))
        if tags is not None:
            item["tags"] = tags.get(photo.id, [])
        items.append(item)
    return items
