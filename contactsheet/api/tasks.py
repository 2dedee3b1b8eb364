"""Tasks: the catalogue, starting a task for a project, and starting maintenance now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoRef
from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.catalog.projects import photos_belong, project_id_of
from contactsheet.db.enums import JobScope
from contactsheet.errors import Conflict, InvalidInput
from contactsheet.jobs.registry import Registry
from contactsheet.jobs.tasks import TaskDefinition
from contactsheet.runtime import Runtime

router = APIRouter(tags=["tasks"])

# Started only by their own endpoint (DELETE /api/projects/{folder}) or the scheduler.
INTERNAL_TASKS = frozenset({"project_delete"})
MAINTENANCE_TASKS = frozenset(
    {"maintenance", "maintenance_global", "project_scavenge_global", "folder_discovery"}
)


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


def _missing_handlers(definition: TaskDefinition, registry: Registry) -> list[str]:
    return [s.type for s in definition.steps if registry.get(s.type) is None]


def _check_available(definition: TaskDefinition, registry: Registry) -> None:
    if missing := _missing_handlers(definition, registry):
        raise Conflict(
            f"task {definition.name!r} is not available in this version "
            f"(no handler yet for: {', '.join(missing)})"
        )


@router.get("/api/tasks/definitions")
def task_definitions(runtime: RuntimeDep, registry: RegistryDep) -> dict[str, TaskDefinitionOut]:
    """Every task: label, scope, ordered steps with priorities, and whether it can run yet."""
    return {
        name: TaskDefinitionOut(
            label=d.label,
            scope=d.scope,
            steps=[StepOut(type=s.type, priority=s.priority) for s in d.steps],
            available=not _missing_handlers(d, registry),
        )
        for name, d in runtime.queue.catalogue.items()
    }


def _photo_payload(runtime: Runtime, project_id: int, body: StartTask) -> dict[str, Any]:
    if not body.items:
        raise InvalidInput("this task needs items: [{photo_id}, …]")
    ids = sorted({item.photo_id for item in body.items})
    if not photos_belong(runtime.db, project_id, ids):
        raise InvalidInput("some photo ids are not photos of this project")
    return {"photo_ids": ids, "force": body.force}


@router.post("/api/projects/{folder}/tasks", status_code=202)
def start_project_task(
    folder: str, body: StartTask, runtime: RuntimeDep, registry: RegistryDep
) -> Started:
    """Start a project task (e.g. `maintenance`) or a photo-set task for photos of this project."""
    definition = runtime.queue.definition(body.task_type)
    if definition.scope == JobScope.GLOBAL or definition.name in INTERNAL_TASKS:
        raise InvalidInput(f"task {body.task_type!r} cannot be started for a project here")
    _check_available(definition, registry)
    project_id = project_id_of(runtime.db, runtime.tenant, folder)
    payload = (
        _photo_payload(runtime, project_id, body) if definition.scope == JobScope.PHOTO_SET else {}
    )
    with runtime.db.write() as session:
        job = runtime.queue.start_task(
            session, definition.name, project_id=project_id, payload=payload
        )
    return Started(task_id=job.task_id, job_id=job.id, task_type=definition.name)


@router.post("/api/maintenance/run", status_code=202)
def run_maintenance(body: StartMaintenance, runtime: RuntimeDep, registry: RegistryDep) -> Started:
    """Start maintenance now: `maintenance_global`, or `maintenance` with `project`."""
    if body.task_type not in MAINTENANCE_TASKS:
        raise InvalidInput(f"task_type must be one of {sorted(MAINTENANCE_TASKS)}")
    definition = runtime.queue.definition(body.task_type)
    _check_available(definition, registry)
    project_id = None
    if definition.scope == JobScope.PROJECT:
        if body.project is None:
            raise InvalidInput(f"task {body.task_type!r} needs a project")
        project_id = project_id_of(runtime.db, runtime.tenant, body.project)
    elif body.project is not None:
        raise InvalidInput(f"task {body.task_type!r} covers the whole library; omit project")
    with runtime.db.write() as session:
        job = runtime.queue.start_task(
            session, definition.name, project_id=project_id, origin="user", dedup=True
        )
    return Started(task_id=job.task_id, job_id=job.id, task_type=definition.name)
