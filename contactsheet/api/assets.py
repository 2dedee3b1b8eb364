"""Thumbnails, previews and originals. A missing derivative of an existing photo is made on the
spot and served: never a 404 for a photo that exists, never a 500 (SPEC §2 point 4)."""

from __future__ import annotations

import os
from email.utils import formatdate
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from contactsheet.api.deps import RuntimeDep
from contactsheet.catalog.photos import file_kind, split_name
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Photo
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


def _serve(request: Request, path: Path, media_type: str) -> Response:
    headers = _headers(path.stat())
    if _not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


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


@router.get("/api/projects/{folder}/thumbnail/{basename}")
def thumbnail(folder: str, basename: str, request: Request, runtime: RuntimeDep) -> Response:
    """The photo's thumbnail (made now if missing). 404: no such photo; 422: undecodable source."""
    return _derivative_response(request, runtime, folder, basename, "thumbnail")


@router.get("/api/projects/{folder}/preview/{basename}")
def preview(folder: str, basename: str, request: Request, runtime: RuntimeDep) -> Response:
    """The photo's preview (made now if missing). 404: no such photo; 422: undecodable source."""
    return _derivative_response(request, runtime, folder, basename, "preview")


@router.get("/api/projects/{folder}/image/{basename}")
def image(folder: str, basename: str, request: Request, runtime: RuntimeDep) -> Response:
    """The original JPG (or PNG/WebP) when there is one a browser shows; otherwise the preview."""
    photo_id = _photo_id(runtime, folder, basename)
    with runtime.db.read() as session:
        photo = session.get_one(Photo, photo_id)
        filenames = list(photo.filenames)
    viewable = sorted(
        (n for n in filenames if split_name(n)[1].lower() in ORIGINAL_TYPES),
        key=lambda n: file_kind(n) != "jpg",
    )
    if viewable:
        source, _records = load_source(runtime, photo_id)
        path = runtime.paths.child(runtime.paths.project_dir(source.folder), viewable[0])
        if path.is_file():
            return _serve(request, path, ORIGINAL_TYPES[split_name(viewable[0])[1].lower()])
    return _derivative_response(request, runtime, folder, basename, "preview")
