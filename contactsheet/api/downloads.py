"""Downloads for the signed-in photographer: a signed URL for one original, and zips
(docs/sharing.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactsheet.api.assets import attachment, serve_original
from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoId, Text, id_list
from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.clock import utcnow
from contactsheet.errors import InvalidInput, PhotoNotFound
from contactsheet.runtime import Runtime
from contactsheet.sharing.originals import file_of_project, original
from contactsheet.sharing.signed_urls import read_download, sign_download
from contactsheet.sharing.zips import originals, zip_stream

router = APIRouter(tags=["downloads"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class DownloadUrlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[Text, Field(min_length=1, max_length=255)]


class ZipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    photo_ids: list[PhotoId] = Field(min_length=1, max_length=MAX_ITEMS)
    files: Literal["all", "jpg", "raw"] = "all"


class ForbiddenDownload(InvalidInput):
    status = 403
    code = "forbidden"


@router.post("/api/projects/{folder}/download-url")
def download_url(folder: Text, body: DownloadUrlRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """A URL for one original (JPG or RAW) that works for two minutes, without the session (for
    a download manager or another device). After that, or changed in any byte: 403."""
    photo_id, filename = file_of_project(runtime, folder, body.filename)
    lifetime = timedelta(seconds=runtime.settings.sharing.download_url_seconds)
    grant = sign_download(runtime.secret_key, photo_id, filename, lifetime)
    return {"url": f"/api/downloads/{grant.token}", "expires_at": grant.expires_at.isoformat()}


@router.get(
    "/api/downloads/{token}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 403: {}},
)
def download(
    token: Annotated[str, Path(max_length=2000)], request: Request, runtime: RuntimeDep
) -> Response:
    """The original a signed URL names, as an attachment."""
    grant = read_download(runtime.secret_key, token)
    if grant is None:
        raise ForbiddenDownload("this download link has expired or is not valid")
    found = original(runtime, grant.photo_id, grant.filename)
    served = serve_original(
        request,
        found.path,
        found.media_type,
        cache_control="private, no-store",
        download_as=found.filename,
    )
    if served is None:
        raise PhotoNotFound(f"{found.filename} is no longer on disk")
    return served


async def _zip_request(request: Request) -> ZipRequest:
    """The JSON body a script sends, or the form the web UI posts (so the browser streams the
    zip to disk instead of holding it in memory)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in FORM_TYPES:
            form = await request.form()
            ids = id_list(str(form.get("photo_ids", "")), MAX_ITEMS)
            return ZipRequest(photo_ids=ids, files=str(form.get("files", "all")))  # type: ignore[arg-type]
        return ZipRequest.model_validate_json(await request.body())
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"a zip request needs photo_ids (1 to {MAX_ITEMS}) and files") from exc


def zip_response(
    runtime: Runtime, photo_ids: list[int], files: str, name: str, cache: str
) -> Response:
    entries = originals(runtime, photo_ids, files)
    stream = zip_stream(entries)
    headers = {
        "Content-Disposition": attachment(name),
        "Content-Length": str(len(stream)),
        "Cache-Control": cache,
    }
    return StreamingResponse(iter(stream), media_type="application/zip", headers=headers)


@router.post(
    "/api/photos/download-zip",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": ZipRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "photo_ids": {"type": "string", "description": "ids, comma-separated"},
                            "files": {"type": "string", "enum": ["all", "jpg", "raw"]},
                        },
                        "required": ["photo_ids"],
                    }
                },
            },
            "required": True,
        }
    },
    responses={200: {"content": {"application/zip": {}}}},
)
async def download_zip(request: Request, runtime: RuntimeDep) -> Response:
    """A zip of the photos' originals (`files`: all, only JPGs, only RAWs), streamed as it is
    read: its first bytes leave at once and memory stays flat whatever its size."""
    body = await _zip_request(request)
    name = f"contactsheet-{utcnow():%Y%m%d-%H%M%S}.zip"
    return zip_response(runtime, body.photo_ids, body.files, name, "private, no-store")
