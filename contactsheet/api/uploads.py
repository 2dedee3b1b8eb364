"""Uploads: conflict analysis, and the streaming multipart upload of many files at once."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from contactsheet.api.deps import RuntimeDep
from contactsheet.catalog.projects import find_project
from contactsheet.errors import InvalidInput
from contactsheet.ingest.conflicts import analyze
from contactsheet.ingest.multipart import MultipartReceiver, boundary_of
from contactsheet.ingest.placement import IngestOptions, IngestReport, checked_folder, place_files
from contactsheet.ingest.staging import staging_dir
from contactsheet.logs import log_event

log = logging.getLogger(__name__)
router = APIRouter(tags=["uploads"])
MAX_ANALYZE_NAMES = 10_000


class AnalyzeRequest(BaseModel):
    files: list[str] = Field(max_length=MAX_ANALYZE_NAMES)


def report_body(report: IngestReport) -> dict[str, Any]:
    return {
        "files": [f.as_dict() for f in report.files],
        "stored": report.count("stored"),
        "skipped": report.count("skipped"),
        "rejected": report.count("rejected"),
        "task_id": report.task_id,
        "move_task_id": report.move_task_id,
    }


@router.post("/api/projects/{folder}/upload/analyze")
def analyze_upload(folder: str, body: AnalyzeRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """What uploading these names would do: new photos, duplicates in this project, format
    completions, and conflicts with photos in other projects. Writes nothing."""
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        return asdict(analyze(session, project, body.files))


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
                            }
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
    overwrite_in_project: Annotated[bool, Query()] = False,
    move_conflicts_here: Annotated[bool, Query()] = False,
) -> JSONResponse:
    """Upload files (multipart, any number of parts). Each is streamed into the project folder,
    checked by name, size (`processing.upload_max_bytes`, 413) and content, then grouped by
    basename. The answer lists per file `stored`, `skipped` (with the reason) or `rejected`."""

    def lookup() -> tuple[int, str]:
        with runtime.db.read() as session:
            project = find_project(session, runtime.tenant, folder)
            checked_folder(runtime, project)  # before a byte is received
            return project.id, project.folder

    project_id, project_folder = await anyio.to_thread.run_sync(lookup)
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
    options = IngestOptions(
        overwrite_in_project=overwrite_in_project, move_conflicts_here=move_conflicts_here
    )
    report = await anyio.to_thread.run_sync(
        place_files, runtime, project_id, receiver.files, options
    )
    body = report_body(report)
    if report.count("rejected") < len(report.files):
        return JSONResponse(body)
    # Nothing was accepted: answer as an error, with the per-file reasons alongside.
    statuses = {f.cause.status for f in report.files if f.cause}
    first = next(f.error for f in report.files if f.error)
    status = statuses.pop() if len(statuses) == 1 else 400
    body["error"] = {"code": first["code"], "message": first["message"]}
    return JSONResponse(body, status_code=status)
