"""What a visitor with a shared link's key can reach, without a session (docs/sharing.md): the
gallery page, its photos (public ones only), their thumbnails and previews under rotating
hashes, and, when the link allows it, the originals one by one or as a zip.

Every route opens the link through `links.open_link` and the photos through the link's public
photos, so an unknown, regenerated or expired key, a private photo, or a photo of another link
all answer the same 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from contactsheet.api.assets import serve_derivative, serve_original
from contactsheet.api.deps import RuntimeDep
from contactsheet.api.downloads import zip_response
from contactsheet.api.params import Id, PhotoId, Text, id_list
from contactsheet.api.webui import PAGE_HEADERS, render_page
from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.clock import utcnow
from contactsheet.errors import ContactSheetError, InvalidInput, PhotoNotFound
from contactsheet.runtime import Runtime
from contactsheet.sharing import links
from contactsheet.sharing.originals import original
from contactsheet.sharing.public_hash import hash_is_valid, max_age_seconds
from contactsheet.sharing.visitor_view import gallery_page

router = APIRouter(tags=["shared"])
# Any length is looked at (and anything but a key answers the same 404 as an unknown key).
Key = Annotated[str, Path()]
# What a visitor's browser may keep: nothing of the JSON or the downloads (a shared computer).
NO_STORE = "private, no-store"
# Public assets may be cached by anyone, but a regenerated image should reach them within a day.
ASSET_MAX_AGE = 86400


@router.get("/shared/api/{key}")
def gallery(
    key: Key,
    runtime: RuntimeDep,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> JSONResponse:
    """The link's title and a page of its public photos (taken_at, then id). 404 for any key
    that does not open a link."""
    body = gallery_page(runtime, links.open_link(runtime, key), cursor, limit)
    return JSONResponse(body, headers={"Cache-Control": NO_STORE})


@contextmanager
def for_visitors(message: str) -> Iterator[None]:
    """What a visitor is told when something of the library goes wrong behind a shared link: a
    plain 404, never the reason (a path refused, a file gone, a decoder's complaint), which
    says things about the library that are the photographer's."""
    try:
        yield
    except (links.LinkNotFound, InvalidInput):
        raise
    except ContactSheetError as exc:
        raise PhotoNotFound(message) from exc


def _downloadable(
    runtime: Runtime, key: str, ids: list[int] | None
) -> tuple[links.OpenLink, list[int]]:
    """The link and its public photos among `ids`, when it offers downloads."""
    link = links.open_link(runtime, key)
    if not link.allow_downloads:
        raise PhotoNotFound("this gallery does not offer downloads")
    shown = links.shared_photo_ids(runtime, link, ids)
    if not shown:
        raise PhotoNotFound("no such photo in this gallery")
    return link, shown


@router.get(
    "/shared/api/{key}/photos/{photo_id}/original",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def shared_original(key: Key, photo_id: PhotoId, request: Request, runtime: RuntimeDep) -> Response:
    """The photo's original (its JPG when it has one) as an attachment, when the link allows
    downloads."""
    with for_visitors("the photo's file is not available"):
        _downloadable(runtime, key, [photo_id])
        found = original(runtime, photo_id)
        served = serve_original(
            request,
            found.path,
            found.media_type,
            cache_control=NO_STORE,
            download_as=found.filename,
        )
        if served is None:
            raise PhotoNotFound("the photo's file is not available")
        return served


@router.get(
    "/shared/api/{key}/download.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def shared_zip(
    key: Key,
    runtime: RuntimeDep,
    ids: Annotated[str | None, Query(max_length=MAX_ITEMS * 11, pattern=r"^[0-9,]*$")] = None,
) -> Response:
    """Every public photo of the link as one zip (`ids=1,2,3` narrows it), when the link allows
    downloads."""
    chosen = id_list(ids) if ids else None
    with for_visitors("none of these photos is available"):
        link, shown = _downloadable(runtime, key, chosen)
        title = link.title
        safe_title = (
            "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "photos"
        )
        return zip_response(runtime, shown, "all", f"{safe_title}.zip", NO_STORE)


@router.get(
    "/shared/assets/{link_id}/{photo_id}/{digest}/{kind}",
    response_class=Response,
    responses={200: {"content": {"image/webp": {}, "image/jpeg": {}}}, 304: {}},
)
def shared_asset(
    link_id: Id,
    photo_id: PhotoId,
    digest: Annotated[str, Path(max_length=64)],
    kind: Literal["thumbnail", "preview"],
    request: Request,
    runtime: RuntimeDep,
) -> Response:
    """A shared photo's thumbnail or preview. 404 for a stale or guessed hash, a link that is
    gone, expired or was given a new key, and a photo that is private or not in the link."""
    now = utcnow()
    settings = runtime.settings.sharing
    with for_visitors("no such image"):
        link = links.link_by_id(runtime, link_id)
        if not hash_is_valid(runtime.secret_key, settings, link.key, photo_id, digest, now):
            raise PhotoNotFound("no such image")
        if not links.shared_photo_ids(runtime, link, [photo_id]):
            raise PhotoNotFound("no such image")
        max_age = min(ASSET_MAX_AGE, max_age_seconds(settings, now))
        return serve_derivative(
            request, runtime, photo_id, kind, cache_control=f"public, max-age={max_age}"
        )


@router.get("/shared/{key}", include_in_schema=False)
def gallery_document(key: Key, runtime: RuntimeDep) -> HTMLResponse:
    """The gallery. For a key that opens nothing the same page answers 404 and says so."""
    try:
        links.open_link(runtime, key)
        status = 200
    except links.LinkNotFound:
        status = 404
    headers = {**PAGE_HEADERS, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(render_page("gallery.html", "gallery.js"), status, headers=headers)
