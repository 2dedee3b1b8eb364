"""Resumable uploads (tus 1.0: creation, PATCH with offsets, HEAD for the offset, termination,
expiry) through tuspyserver. Metadata `filename` and `project` (the folder) are required;
`batch`, `folder`, `on_name_taken` (keep_both, skip, overwrite), `import_anyway` and
`move_conflicts_here` ("true"/"false") mean what they mean for a multipart upload, and a
finished upload goes through the same checks and rules (docs/ingest.md)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.routing import APIRoute
from tuspyserver import create_tus_router

from contactsheet.errors import ContactSheetError, InsufficientStorage, PayloadTooLarge
from contactsheet.ingest.batches import checked_batch, source_folder
from contactsheet.ingest.batches import checked_folder as checked_source_folder
from contactsheet.ingest.outcomes import KEEP_BOTH, FileResult, IngestOptions
from contactsheet.ingest.placement import place_files
from contactsheet.ingest.project_folder import upload_target
from contactsheet.ingest.resumable import (
    align_to_offset,
    expire_abandoned,
    remove_upload,
    tus_dir,
)
from contactsheet.ingest.staging import check_name, is_disk_full, stage_existing, staging_dir
from contactsheet.jobs.events import publish
from contactsheet.logs import log_event
from contactsheet.runtime import Runtime

log = logging.getLogger(__name__)
TUS_PREFIX = "/api/uploads/tus"
TUS_VERSION = "1.0.0"
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


def _flag(metadata: dict[str, str], key: str) -> bool:
    return metadata.get(key, "").strip().lower() in {"1", "true", "yes"}


def _options(metadata: dict[str, str]) -> IngestOptions:
    return IngestOptions(
        on_name_taken=metadata.get("on_name_taken") or KEEP_BOTH,
        import_anyway=_flag(metadata, "import_anyway"),
        move_conflicts_here=_flag(metadata, "move_conflicts_here"),
    )


# Every answer is headers only, errors included (tus clients read the status).
OFFSET_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "`Upload-Offset` (and `Upload-Length`) in the headers."},
    "4XX": {"description": "404 unknown, 410 expired, 412 wrong Tus-Resumable.", "content": {}},
}


def _offset_router(runtime: Runtime) -> APIRouter:
    """HEAD (where to resume from), answered here: tuspyserver's own HEAD answers 400 to any
    upload created without a `filetype` metadata, which tus does not require and our documented
    metadata does not include, so a client could never resume. Read-only: PATCH stays theirs."""
    router = APIRouter(tags=["uploads"])

    @router.head(TUS_PREFIX + "/{uid}", response_class=Response, responses=OFFSET_RESPONSES)
    def upload_offset(uid: str, tus_resumable: Annotated[str | None, Header()] = None) -> Response:
        if tus_resumable != TUS_VERSION:
            return Response(status_code=412, headers={"Tus-Version": TUS_VERSION})
        headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
        directory = tus_dir(runtime)
        try:
            exists = UPLOAD_ID.fullmatch(uid) is not None and (directory / uid).is_file()
            info = json.loads((directory / f"{uid}.info").read_text()) if exists else None
        except (OSError, ValueError):
            info = None
        if not isinstance(info, dict):
            return Response(status_code=404, headers=headers)
        try:
            expired = parsedate_to_datetime(str(info.get("expires"))) < datetime.now(UTC)
        except (TypeError, ValueError):
            expired = False
        if expired:
            return Response(status_code=410, headers=headers)
        headers["Upload-Offset"] = str(int(info.get("offset") or 0))
        if info.get("defer_length"):
            headers["Upload-Defer-Length"] = "1"
        elif info.get("size") is not None:
            headers["Upload-Length"] = str(int(info["size"]))
        return Response(status_code=200, headers=headers)

    return router


def _write_guard(runtime: Runtime) -> Callable[[Request], AsyncIterator[None]]:
    """Around every tus request: before a PATCH, its data is cut back to the recorded offset; a
    write the tus server failed for a full disk answers 507 `insufficient_storage` (it answers a
    bare 500), and its partial bytes are cut off at once so the space is free again."""

    async def guard(request: Request) -> AsyncIterator[None]:
        uid = request.path_params.get("uuid")
        if request.method != "PATCH" or not (isinstance(uid, str) and UPLOAD_ID.fullmatch(uid)):
            yield
            return
        await anyio.to_thread.run_sync(align_to_offset, runtime, uid)
        try:
            yield
        except HTTPException as exc:
            cause = exc.__context__
            if not (isinstance(cause, OSError) and is_disk_full(cause)):
                raise
            await anyio.to_thread.run_sync(align_to_offset, runtime, uid)
            raise InsufficientStorage(
                "not enough space left on the disk of the library; resume the upload later"
            ) from exc

    return guard


def tus_router(runtime: Runtime) -> APIRouter:
    limit = runtime.settings.processing.upload_max_bytes

    def check(metadata: dict[str, str], upload_info: dict[str, object]) -> None:
        check_name(metadata.get("filename") or "")
        _options(metadata)
        checked_batch(metadata.get("batch"))
        checked_source_folder(metadata.get("folder"))
        upload_target(runtime, metadata.get("project") or "")
        size = upload_info.get("size")
        if isinstance(size, int) and size > limit:
            raise PayloadTooLarge(f"larger than the limit of {limit} bytes")

    async def pre_create_dep() -> Callable[[dict[str, str], dict[str, object]], None]:
        return check

    async def finish(file_path: str, metadata: dict[str, str]) -> None:
        def ingest() -> FileResult:
            source = Path(file_path)
            try:
                project_id, project_folder = upload_target(runtime, metadata.get("project") or "")
                staged = stage_existing(
                    source, staging_dir(runtime.paths), limit, metadata["filename"]
                )
                staged.source = source_folder(metadata["filename"], metadata.get("folder"))
                batch = checked_batch(metadata.get("batch"))
                report = place_files(runtime, project_id, [staged], _options(metadata), batch)
            except ContactSheetError:
                # A finished upload that cannot be placed (its project deleted, its folder
                # gone) is answered once; its data is not kept for a retry that cannot work.
                remove_upload(source)
                raise
            remove_upload(source)
            result = report.files[0]
            event = {"project": project_folder, **result.as_dict()}
            publish(runtime.db, "jobs", "upload_completed", event)
            return result

        result = await anyio.to_thread.run_sync(ingest)
        log_event(log, "tus_upload_completed", status=result.status, file=result.name)
        if result.cause is not None:
            raise result.cause

    async def upload_complete_dep() -> Callable[[str, dict[str, str]], Awaitable[None]]:
        return finish

    router = _offset_router(runtime)  # first, so its HEAD is matched before tuspyserver's
    tus = create_tus_router(
        prefix=TUS_PREFIX,
        files_dir=str(tus_dir(runtime)),
        max_size=limit,
        days_to_keep=1,
        pre_create_dep=pre_create_dep,
        upload_complete_dep=upload_complete_dep,
        tags=["uploads"],
    )
    for route in tus.routes:
        if isinstance(route, APIRoute) and route.methods == {"HEAD"}:
            route.include_in_schema = False  # never reached: the document shows the one above
    router.include_router(tus, dependencies=[Depends(_write_guard(runtime))])
    return router


__all__ = ["TUS_PREFIX", "expire_abandoned", "tus_router"]
