"""A shared link's photos as a visitor sees them: only what the gallery needs to show and fetch
them (its name, the basename the photographer gave it, is the caption), nothing about where they
live (no folders, file names or paths), no GPS unless the link shows it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from contactsheet.clock import utcnow
from contactsheet.db.tables import Photo
from contactsheet.runtime import Runtime
from contactsheet.sharing.links import OpenLink, public_photos
from contactsheet.sharing.public_hash import public_hash


def asset_url(runtime: Runtime, link: OpenLink, photo_id: int, kind: str) -> str:
    settings = runtime.settings.sharing
    digest = public_hash(runtime.secret_key, settings, link.key, photo_id, utcnow())
    return f"/shared/assets/{link.id}/{photo_id}/{digest}/{kind}"


def visitor_item(runtime: Runtime, link: OpenLink, photo: Photo) -> dict[str, Any]:
    located = link.show_location and photo.gps_lat is not None and photo.gps_lon is not None
    return {
        "id": photo.id,
        "name": photo.basename,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "taken_at": photo.taken_at.isoformat(),
        "thumbhash": photo.thumbhash,
        "thumbnail_url": asset_url(runtime, link, photo.id, "thumbnail"),
        "preview_url": asset_url(runtime, link, photo.id, "preview"),
        "download_url": (
            f"/shared/api/{quote(link.key)}/photos/{photo.id}/original"
            if link.allow_downloads
            else None
        ),
        "location": {"lat": photo.gps_lat, "lon": photo.gps_lon} if located else None,
    }


def gallery_page(
    runtime: Runtime, link: OpenLink, cursor: str | None, limit: int
) -> dict[str, Any]:
    """The link's title and a page of its public photos."""
    page, next_cursor, total = public_photos(runtime, link, cursor, limit)
    return {
        "title": link.title,
        "description": link.description,
        "allow_downloads": link.allow_downloads,
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        "photo_count": total,
        "zip_url": f"/shared/api/{quote(link.key)}/download.zip" if link.allow_downloads else None,
        "items": [visitor_item(runtime, link, photo) for photo, _folder in page],
        "next_cursor": next_cursor,
    }
