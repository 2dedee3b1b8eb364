"""Thumbnails, previews and originals over HTTP: ETags, 304s and whole files. A missing
derivative of an existing photo is made on the spot and served: never a 404 for a photo that
exists, never a 500 (docs/derivatives.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import Text
from contactsheet.derivatives.params import MEDIA_TYPES, specs
from contactsheet.derivatives.serving import (
    BROWSER_FORMATS,
    derivative_file,
    photo_named,
    viewable_original,
)
from contactsheet.errors import PhotoNotFound
from contactsheet.runtime import Runtime

router = APIRouter(tags=["assets"])
# Private photos: a shared cache (proxy, CDN) must never keep them.
CACHE_CONTROL = "private, max-age=3600, must-revalidate"


def _image_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"description": "The image.", "content": dict.fromkeys(sorted(media_types), binary)},
        304: {"description": "Not modified: the ETag in If-None-Match is still the file's."},
    }


DERIVATIVE_RESPONSES = _image_responses(*MEDIA_TYPES.values())
IMAGE_RESPONSES = _image_responses(*BROWSER_FORMATS.values(), *MEDIA_TYPES.values())


def _headers(stat: os.stat_result, cache_control: str) -> dict[str, str]:
    return {
        "ETag": f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
        "Cache-Control": cache_control,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the file under its own name, whatever its characters."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _not_modified(request: Request, etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]


CHUNK = 256 * 1024


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def serve_original(
    request: Request,
    path: Path,
    media_type: str,
    *,
    cache_control: str = CACHE_CONTROL,
    download_as: str | None = None,
) -> Response | None:
    """Headers and body from one open file, streamed (an original may be large); None when the
    file is not there (removed or moved since the photo was looked up, or replaced by a link)."""
    try:
        # Non-blocking: a FIFO left under a photo's name must not hang the request.
        handle = os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW), "rb")
    except (FileNotFoundError, NotADirectoryError, OSError):
        return None
    try:
        stat = os.fstat(handle.fileno())
        if not S_ISREG(stat.st_mode):
            handle.close()
            return None
        headers = _headers(stat, cache_control)
        if _not_modified(request, headers["ETag"]):
            handle.close()
            return Response(status_code=304, headers=headers)
        headers["Content-Length"] = str(stat.st_size)
        if download_as is not None:
            headers["Content-Disposition"] = attachment(download_as)
        return StreamingResponse(_chunks(handle), media_type=media_type, headers=headers)
    except BaseException:
        handle.close()
        raise


def _serve_derivative(
    request: Request, path: Path, media_type: str, cache_control: str
) -> Response:
    """Headers and body from one open file. A regeneration may rename a new file over this one
    at any moment; an answer must never pair one file's ETag and Content-Length with another
    file's bytes (a FileResponse stats and opens the path again, later: a truncated image).
    A file of more than one chunk (a large preview) is streamed from that same open file, never
    read whole into memory; a thumbnail goes out in one piece."""
    handle = path.open("rb")
    try:
        stat = os.fstat(handle.fileno())
        headers = _headers(stat, cache_control)
        if _not_modified(request, headers["ETag"]):
            handle.close()
            return Response(status_code=304, headers=headers)
        if stat.st_size <= CHUNK:
            with handle:
                return Response(handle.read(), media_type=media_type, headers=headers)
        headers["Content-Length"] = str(stat.st_size)
        return StreamingResponse(_chunks(handle), media_type=media_type, headers=headers)
    except BaseException:
        handle.close()
        raise


def serve_derivative(
    request: Request,
    runtime: Runtime,
    photo_id: int,
    kind: str,
    *,
    cache_control: str = CACHE_CONTROL,
) -> Response:
    """The photo's thumbnail or preview, made now if missing."""
    media_type = MEDIA_TYPES[specs(runtime.settings.processing)[kind].format]
    for _attempt in range(2):
        try:
            path = derivative_file(runtime, photo_id, kind)
            return _serve_derivative(request, path, media_type, cache_control)
        except PhotoNotFound:
            break  # deleted (or its project) since we looked it up
        except FileNotFoundError:
            continue  # removed between the check and the read: look again
    raise PhotoNotFound(f"no photo {photo_id}")


def _derivative_response(
    request: Request, runtime: Runtime, folder: str, basename: str, kind: str
) -> Response:
    photo_id = photo_named(runtime, folder, basename)
    try:
        return serve_derivative(request, runtime, photo_id, kind)
    except PhotoNotFound:
        raise PhotoNotFound(f"no photo {basename!r} in {folder!r}") from None


@router.get(
    "/api/projects/{folder}/thumbnail/{basename}",
    response_class=Response,
    responses=DERIVATIVE_RESPONSES,
)
def thumbnail(folder: str, basename: Text, request: Request, runtime: RuntimeDep) -> Response:
    """The photo's thumbnail (made now if missing). 404: no such photo; 422: undecodable source."""
    return _derivative_response(request, runtime, folder, basename, "thumbnail")


@router.get(
    "/api/projects/{folder}/preview/{basename}",
    response_class=Response,
    responses=DERIVATIVE_RESPONSES,
)
def preview(folder: str, basename: Text, request: Request, runtime: RuntimeDep) -> Response:
    """The photo's preview (made now if missing). 404: no such photo; 422: undecodable source."""
    return _derivative_response(request, runtime, folder, basename, "preview")


@router.get(
    "/api/projects/{folder}/image/{basename}", response_class=Response, responses=IMAGE_RESPONSES
)
def image(folder: str, basename: Text, request: Request, runtime: RuntimeDep) -> Response:
    """The original JPG (or PNG/WebP) when there is one a browser shows; otherwise the preview
    (also when the original has gone from disk). 404: no such photo; 422: nothing to show."""
    photo_id = photo_named(runtime, folder, basename)
    original = viewable_original(runtime, photo_id)
    if original is not None:
        served = serve_original(request, original, BROWSER_FORMATS[original.suffix.lower()])
        if served is not None:
            return served
    return _derivative_response(request, runtime, folder, basename, "preview")
