"""Uploads: conflict analysis, and the streaming multipart upload of many files at once."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import ID_MAX
from contactsheet.db.enums import FileOutcome
from contactsheet.errors import InvalidInput
from contactsheet.imaging.fingerprint import ALGORITHM
from contactsheet.ingest.batches import (
    BATCH_PATTERN,
    MAX_FOLDER_CHARS,
    checked_batch,
    checked_folder,
    new_batch_id,
    source_folder,
)
from contactsheet.ingest.conflicts import Announced, analyze
from contactsheet.ingest.multipart import MultipartReceiver, boundary_of
from contactsheet.ingest.outcomes import KEEP_BOTH, IngestOptions, IngestReport
from contactsheet.ingest.placement import place_files
from contactsheet.ingest.project_folder import upload_target
from contactsheet.ingest.staging import staging_dir
from contactsheet.logs import log_event

log = logging.getLogger(__name__)
router = APIRouter(tags=["uploads"])
MAX_ANALYZE_NAMES = 10_000
MAX_NAME_CHARS = 1024
FINGERPRINT_PATTERN = rf"^{ALGORITHM}:[0-9a-f]{{32}}$"
NameTaken = Literal["keep_both", "skip", "overwrite"]


class AnalyzeFile(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    size: int | None = Field(default=None, ge=0, le=ID_MAX)  # bytes; uploads are far smaller
    fingerprint: str | None = Field(
        default=None,
        pattern=FINGERPRINT_PATTERN,
        description="xxh3_128 of the file's bytes: `xxh3_128:` and 32 lowercase hex digits "
        "(docs/ingest.md). Without it, a taken name is `unknown`.",
    )
    folder: str | None = Field(
        default=None,
        max_length=MAX_FOLDER_CHARS,
        description="The folder the file is in, relative to what was dropped (`100CANON`).",
    )


class AnalyzeRequest(BaseModel):
    files: list[AnalyzeFile | Annotated[str, Field(max_length=MAX_NAME_CHARS)]] = Field(
        max_length=MAX_ANALYZE_NAMES
    )
    batch: str | None = Field(default=None, pattern=BATCH_PATTERN)
    import_anyway: bool = False


def report_body(report: IngestReport) -> dict[str, Any]:
    return {
        "files": [f.as_dict() for f in report.files],
        **{outcome.value: report.count(outcome) for outcome in FileOutcome},
        "task_id": report.task_id,
        "move_task_id": report.move_task_id,
    }


@router.post("/api/projects/{folder}/upload/analyze")
def analyze_upload(folder: str, body: AnalyzeRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """What uploading these files as one batch would do, per file: its class (`new`,
    `completion`, `identical`, `identical_elsewhere`, `name_taken`, `unknown`, `rejected`), the
    name it would be stored under, and where an identical file lives. Places nothing (it only
    records fingerprints of library files it had to read)."""
    files = [
        Announced(name=f) if isinstance(f, str) else Announced(**f.model_dump()) for f in body.files
    ]
    for announced in files:
        checked_folder(announced.folder)
    return analyze(
        runtime,
        folder,
        files,
        batch=body.batch or new_batch_id(),
        import_anyway=body.import_anyway,
    )


@router.post(
    "/api/projects/{folder}/upload",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                            "batch": {
                                "type": "string",
                                "pattern": BATCH_PATTERN,
                                "description": "The upload batch the files belong to (one "
                                "drop), chosen by the client; default: this request alone.",
                            },
                            "folder": {
                                "type": "string",
                                "maxLength": MAX_FOLDER_CHARS,
                                "description": "The files' folder relative to what was "
                                "dropped; default: the directory part of each file name.",
                            },
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
async def upload(
    folder: str,
    request: Request,
    runtime: RuntimeDep,
    on_name_taken: Annotated[NameTaken, Query()] = KEEP_BOTH,
    import_anyway: Annotated[bool, Query()] = False,
    move_conflicts_here: Annotated[bool, Query()] = False,
) -> JSONResponse:
    """Upload files (multipart, any number of parts, with optional `batch` and `folder` fields).
    Each is streamed into staging, checked by name, size (`processing.upload_max_bytes`, 413)
    and content, then classed against the project (docs/ingest.md). The answer lists per file
    `stored` (with `stored_as`), `skipped` (with the reason) or `rejected`, and its `class`."""

    target = await anyio.to_thread.run_sync(upload_target, runtime, folder)
    project_id, project_folder = target
    receiver = MultipartReceiver(
        boundary_of(request.headers.get("content-type")),
        staging_dir(runtime.paths),
        runtime.settings.processing.upload_max_bytes,
    )
    try:
        async for chunk in request.stream():
            await anyio.to_thread.run_sync(receiver.feed, chunk)
        receiver.finish()
    except ClientDisconnect:
        receiver.abort()
        log_event(log, "upload_aborted", project=project_folder)
        return JSONResponse({"error": {"code": "client_disconnected", "message": "aborted"}}, 400)
    except BaseException:
        receiver.abort()
        raise
    if not receiver.files:
        raise InvalidInput("no files in the request (send them as multipart file parts)")
    try:
        batch = checked_batch(receiver.fields.get("batch"))
        folder_field = checked_folder(receiver.fields.get("folder"))
    except InvalidInput:
        receiver.abort()
        raise
    for staged in receiver.files:
        staged.source = source_folder(staged.original_name, folder_field)
    options = IngestOptions(
        on_name_taken=on_name_taken,
        import_anyway=import_anyway,
        move_conflicts_here=move_conflicts_here,
    )
    report = await anyio.to_thread.run_sync(
        place_files, runtime, project_id, receiver.files, options, batch
    )
    body = report_body(report)
    if report.count(FileOutcome.REJECTED) < len(report.files):
        return JSONResponse(body)
    # Nothing was accepted: answer as an error, with the per-file reasons alongside.
    statuses = {f.cause.status for f in report.files if f.cause}
    first = next(f.error for f in report.files if f.error)
    status = statuses.pop() if len(statuses) == 1 else 400
    body["error"] = {"code": first["code"], "message": first["message"]}
    return JSONResponse(body, status_code=status)
