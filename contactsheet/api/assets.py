"""Thumbnails, previews and originals. A missing derivative of an existing photo is made on the
spot and served: never a 404 for a photo that exists, never a 500 (SPEC §2 point 4)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import Text
from contactsheet.catalog.photos import file_kind, split_name
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import DerivativeStatus, ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.derivatives.cache import file_size_of
from contactsheet.derivatives.generate import (
    PhotoNotFound,
    PhotoSource,
    file_for,
    generate_photo,
    load_source,
)
from contactsheet.derivatives.params import MEDIA_TYPES, specs
from contactsheet.errors import ContactSheetError, NotFound
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime

router = APIRouter(tags=["assets"])
# Private photos: a shared cache (proxy, CDN) must never keep them (SPEC §13).
CACHE_CONTROL = "private, max-age=3600, must-revalidate"
ORIGINAL_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mpo": "image/jpeg",
                  ".png": "image/png", ".webp": "image/webp"}  # fmt: skip


def _image_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"description": "The image.", "content": dict.fromkeys(sorted(media_types), binary)},
        304: {"description": "Not modified: the ETag in If-None-Match is still the file's."},
    }


DERIVATIVE_RESPONSES = _image_responses(*MEDIA_TYPES.values())
IMAGE_RESPONSES = _image_responses(*ORIGINAL_TYPES.values(), *MEDIA_TYPES.values())


class PhotoNotFoundError(NotFound):
    code = "photo_not_found"


class Undecodable(ContactSheetError):
    status = 422
    code = "undecodable_source"


def _photo_id(runtime: Runtime, folder: str, basename: str) -> int:
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        photo_id = session.scalar(
            select(Photo.id).where(
                Photo.project_id == project.id, Photo.basename_key == name_key(basename)
            )
        )
    if photo_id is None:
        raise PhotoNotFoundError(f"no photo {basename!r} in {folder!r}")
    return photo_id


def _headers(stat: os.stat_result) -> dict[str, str]:
    return {
        "ETag": f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
        "Cache-Control": CACHE_CONTROL,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }


def _not_modified(request: Request, etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]


CHUNK = 256 * 1024


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _serve_original(request: Request, path: Path, media_type: str) -> Response | None:
    """Headers and body from one open file, streamed (an original may be large); None when the
    file is not there (removed or moved since the photo was looked up)."""
    try:
        # Non-blocking: a FIFO left under a photo's name must not hang the request.
        handle = os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb")
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        stat = os.fstat(handle.fileno())
        if not S_ISREG(stat.st_mode):
            handle.close()
            return None
        headers = _headers(stat)
        if _not_modified(request, headers["ETag"]):
            handle.close()
            return Response(status_code=304, headers=headers)
        headers["Content-Length"] = str(stat.st_size)
        return StreamingResponse(_chunks(handle), media_type=media_type, headers=headers)
    except BaseException:
        handle.close()
        raise


def _serve_derivative(request: Request, path: Path, media_type: str) -> Response:
    """Headers and body from one open file. A regeneration may rename a new file over this one
    at any moment; an answer must never pair one file's ETag and Content-Length with another
    file's bytes (a FileResponse stats and opens the path again, later: a truncated image)."""
    with path.open("rb") as handle:
        headers = _headers(os.fstat(handle.fileno()))
        if _not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        data = handle.read()
    return Response(data, media_type=media_type, headers=headers)


def _derivative(runtime: Runtime, photo_id: int, kind: str) -> tuple[PhotoSource, Path]:
    source, records = load_source(runtime, photo_id)
    path = file_for(runtime, source, kind)
    record = records.get(kind)
    trusted = (
        record is not None
        and record.status == DerivativeStatus.GENERATED
        and file_size_of(path) == record.file_size
    )
    if not trusted:
        outcome = generate_photo(runtime, photo_id, force=False)
        made = outcome.statuses.get(kind) == DerivativeStatus.GENERATED
        if not made or file_size_of(path) is None:
            # Undecodable, or nothing to make it from: the source itself is gone (its record
            # may still say `generated`).
            raise Undecodable(outcome.error or "the derivative could not be made")
    return source, path


def _derivative_response(
    request: Request, runtime: Runtime, folder: str, basename: str, kind: str
) -> Response:
    photo_id = _photo_id(runtime, folder, basename)
    media_type = MEDIA_TYPES[specs(runtime.settings.processing)[kind].format]
    for _attempt in range(2):
        try:
            _source, path = _derivative(runtime, photo_id, kind)
            return _serve_derivative(request, path, media_type)
        except PhotoNotFound:
            break  # deleted (or its project) since we looked it up
        except FileNotFoundError:
            continue  # removed between the check and the read: look again
    raise PhotoNotFoundError(f"no photo {basename!r} in {folder!r}")


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


def _viewable_original(runtime: Runtime, photo_id: int, basename: str) -> tuple[str, str] | None:
    """(project folder, file name) of the original a browser shows, JPG first; None if none.
    Read again after the lookup: the photo or its project may have gone since (404)."""
    with runtime.db.read() as session:
        row = session.execute(
            select(Photo.filenames, Project.folder)
            .join(Project, Project.id == Photo.project_id)
            .where(Photo.id == photo_id, Project.status == ProjectStatus.ACTIVE)
        ).first()
    if row is None:
        raise PhotoNotFoundError(f"no photo {basename!r} any more")
    filenames, project_folder = row
    viewable = sorted(
        (n for n in filenames if split_name(n)[1].lower() in ORIGINAL_TYPES),
        key=lambda n: file_kind(n) != "jpg",
    )
    return (project_folder, viewable[0]) if viewable else None


@router.get(
    "/api/projects/{folder}/image/{basename}", response_class=Response, responses=IMAGE_RESPONSES
)
def image(folder: str, basename: Text, request: Request, runtime: RuntimeDep) -> Response:
    """The original JPG (or PNG/WebP) when there is one a browser shows; otherwise the preview
    (also when the original has gone from disk). 404: no such photo; 422: nothing to show."""
    photo_id = _photo_id(runtime, folder, basename)
    original = _viewable_original(runtime, photo_id, basename)
    if original is not None:
        project_folder, name = original
        path = runtime.paths.child(runtime.paths.project_dir(project_folder), name)
        served = _serve_original(request, path, ORIGINAL_TYPES[split_name(name)[1].lower()])
        if served is not None:
            return served
    return _derivative_response(request, runtime, folder, basename, "preview")
