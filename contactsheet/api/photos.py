"""Photo-level actions. Bulk rules: at most 2,000 items, `dry_run` changes nothing, per-item
failures are reported without failing the rest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from contactsheet.api.deps import RuntimeDep
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.derivatives.generate import PhotoNotFound, plan_photo

router = APIRouter(prefix="/api/photos", tags=["photos"])
MAX_ITEMS = 2000


class PhotoRef(BaseModel):
    photo_id: int


class ProcessRequest(BaseModel):
    items: list[PhotoRef] = Field(min_length=1, max_length=MAX_ITEMS)
    force: bool = False
    dry_run: bool = False


@router.post("/process", status_code=202)
def process(body: ProcessRequest, runtime: RuntimeDep) -> JSONResponse:
    """(Re)generate thumbnails and previews. `force: true` (the user's "Regenerate") remakes them
    even when the cache is valid; otherwise only what is missing or out of date is made. One
    `generate_derivatives` task per project; 202 with their ids."""
    wanted = sorted({item.photo_id for item in body.items})
    with runtime.db.read() as session:
        rows = session.execute(
            select(Photo.id, Photo.project_id)
            .join(Project, Project.id == Photo.project_id)
            .where(Photo.id.in_(wanted), Project.status == ProjectStatus.ACTIVE)
        ).all()
    by_project: dict[int, list[int]] = {}
    for photo_id, project_id in rows:
        by_project.setdefault(project_id, []).append(photo_id)
    found = {photo_id for photo_id, _ in rows}
    failures = [{"photo_id": pid, "error": "no such photo"} for pid in wanted if pid not in found]
    if body.dry_run:
        plans: dict[int, Any] = {}
        for photo_id in sorted(found):
            try:
                plans[photo_id] = plan_photo(runtime, photo_id, force=body.force)
            except PhotoNotFound:
                failures.append({"photo_id": photo_id, "error": "no such photo"})
        return JSONResponse({"dry_run": True, "plans": plans, "failures": failures}, 200)
    jobs = []
    with runtime.db.write() as session:
        for project_id, photo_ids in sorted(by_project.items()):
            job = runtime.queue.start_task(
                session,
                "generate_derivatives",
                project_id=project_id,
                payload={"photo_ids": photo_ids, "force": body.force},
            )
            jobs.append({"project_id": project_id, "task_id": job.task_id, "job_id": job.id})
    return JSONResponse({"jobs": jobs, "failures": failures, "queued": len(found)}, 202)
