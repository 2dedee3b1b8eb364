"""Tasks: the catalogue, starting a task for a project, and starting maintenance now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoRef
from contactsheet.catalog import task_requests
from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.db.enums import JobScope
from contactsheet.workers.registry import Registry

router = APIRouter(tags=["tasks"])


def get_registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


RegistryDep = Annotated[Registry, Depends(get_registry)]


class StepOut(BaseModel):
    type: str
    priority: int


class TaskDefinitionOut(BaseModel):
    label: str
    scope: JobScope
    steps: list[StepOut]
    available: bool = Field(description="Every step has a handler in this version.")


class StartTask(BaseModel):
    task_type: str
    items: list[PhotoRef] | None = Field(None, max_length=MAX_ITEMS)
    force: bool = False


class StartMaintenance(BaseModel):
    task_type: str = "maintenance_global"
    project: str | None = None


class Started(BaseModel):
    task_id: int | None
    job_id: int
    task_type: str


@router.get("/api/tasks/definitions")
def task_definitions(runtime: RuntimeDep, registry: RegistryDep) -> dict[str, TaskDefinitionOut]:
    """Every task: label, scope, ordered steps with priorities, and whether it can run yet."""
    return {
        name: TaskDefinitionOut(
            label=d.label,
            scope=d.scope,
            steps=[StepOut(type=s.type, priority=s.priority) for s in d.steps],
            available=not task_requests.missing_handlers(d, registry),
        )
        for name, d in runtime.queue.catalogue.items()
    }


@router.post("/api/projects/{folder}/tasks", status_code=202)
def start_project_task(
    folder: str, body: StartTask, runtime: RuntimeDep, registry: RegistryDep
) -> Started:
    """Start a project task (e.g. `maintenance`) or a photo-set task for photos of this project."""
    photo_ids = [item.photo_id for item in body.items] if body.items else None
    job = task_requests.start_project_task(
        runtime, registry, folder, body.task_type, photo_ids=photo_ids, force=body.force
    )
    return Started(task_id=job.task_id, job_id=job.id, task_type=body.task_type)


@router.post("/api/maintenance/run", status_code=202)
def run_maintenance(body: StartMaintenance, runtime: RuntimeDep, registry: RegistryDep) -> Started:
    """Start maintenance now: `maintenance_global`, or `maintenance` with `project`."""
    job = task_requests.start_maintenance(runtime, registry, body.task_type, body.project)
    return Started(task_id=job.task_id, job_id=job.id, task_type=body.task_type)
