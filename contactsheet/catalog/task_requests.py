"""A user starting a task, from the API or the command line: which tasks a user may start and
for what, and that every step of one has a handler in this version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contactsheet.catalog.projects import photos_belong, project_id_of
from contactsheet.db.enums import JobScope
from contactsheet.db.tables import Job
from contactsheet.errors import Conflict, InvalidInput
from contactsheet.jobs.tasks import TaskDefinition
from contactsheet.runtime import Runtime
from contactsheet.workers.registry import Registry

# Started only by their own endpoint (DELETE /api/projects/{folder}) or the scheduler.
INTERNAL_TASKS = frozenset({"project_delete"})
MAINTENANCE_TASKS = frozenset(
    {"maintenance", "maintenance_global", "project_scavenge_global", "folder_discovery"}
)


def missing_handlers(definition: TaskDefinition, registry: Registry) -> list[str]:
    """The step types of a task that no handler of this version runs."""
    return [step.type for step in definition.steps if registry.get(step.type) is None]


def start_project_task(
    runtime: Runtime,
    registry: Registry,
    folder: str,
    task_type: str,
    *,
    photo_ids: Sequence[int] | None,
    force: bool,
) -> Job:
    """A project task (e.g. `maintenance`), or a photo-set task for photos of this project."""
    definition = runtime.queue.definition(task_type)
    if definition.scope == JobScope.GLOBAL or definition.name in INTERNAL_TASKS:
        raise InvalidInput(f"task {task_type!r} cannot be started for a project here")
    _check_available(definition, registry)
    project_id = project_id_of(runtime.db, runtime.tenant, folder)
    payload: dict[str, Any] = {}
    if definition.scope == JobScope.PHOTO_SET:
        if not photo_ids:
            raise InvalidInput("this task needs items: [{photo_id}, …]")
        ids = sorted(set(photo_ids))
        if not photos_belong(runtime.db, project_id, ids):
            raise InvalidInput("some photo ids are not photos of this project")
        payload = {"photo_ids": ids, "force": force}
    with runtime.db.write() as session:
        return runtime.queue.start_task(
            session, definition.name, project_id=project_id, payload=payload
        )


def start_maintenance(
    runtime: Runtime, registry: Registry, task_type: str, project: str | None
) -> Job:
    """Maintenance now: a library-wide task, or `maintenance` of one project. One already queued
    is joined rather than queued twice."""
    if task_type not in MAINTENANCE_TASKS:
        raise InvalidInput(f"task_type must be one of {sorted(MAINTENANCE_TASKS)}")
    definition = runtime.queue.definition(task_type)
    _check_available(definition, registry)
    project_id = None
    if definition.scope == JobScope.PROJECT:
        if project is None:
            raise InvalidInput(f"task {task_type!r} needs a project")
        project_id = project_id_of(runtime.db, runtime.tenant, project)
    elif project is not None:
        raise InvalidInput(f"task {task_type!r} covers the whole library; omit project")
    with runtime.db.write() as session:
        return runtime.queue.start_task(
            session, definition.name, project_id=project_id, origin="user", dedup=True
        )


def _check_available(definition: TaskDefinition, registry: Registry) -> None:
    if missing := missing_handlers(definition, registry):
        raise Conflict(
            f"task {definition.name!r} is not available in this version "
            f"(no handler yet for: {', '.join(missing)})"
        )
