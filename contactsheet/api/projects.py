"""Projects: list, create, show, rename, delete."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel

from contactsheet.api.deps import RuntimeDep
from contactsheet.catalog import projects
from contactsheet.catalog.projects import ProjectSummary

router = APIRouter(prefix="/api/projects", tags=["projects"])


class ProjectName(BaseModel):
    name: str


class ProjectOut(BaseModel):
    id: int
    name: str
    folder: str
    status: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    missing_since: datetime | None
    photo_count: int | None = None
    task_id: int | None = None

    @classmethod
    def of(cls, project: object, photo_count: int | None = None) -> ProjectOut:
        """The answer for a project row (read by its attributes)."""
        out = cls.model_validate(project, from_attributes=True)
        return out.model_copy(update={"photo_count": photo_count})

    @classmethod
    def of_summary(cls, summary: ProjectSummary) -> ProjectOut:
        return cls.of(summary.project, summary.photo_count)


class ProjectList(BaseModel):
    items: list[ProjectOut]


@router.get("")
def list_projects(runtime: RuntimeDep) -> ProjectList:
    """Active projects, newest first, with their photo counts."""
    summaries = projects.list_projects(runtime.db, runtime.tenant)
    return ProjectList(items=[ProjectOut.of_summary(s) for s in summaries])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectName, runtime: RuntimeDep) -> ProjectOut:
    """Create a project and its folder. A name already in use gets a ` (2)` suffix."""
    project = projects.create_project(runtime.db, runtime.paths, runtime.tenant, body.name)
    return ProjectOut.of(project, 0)


@router.get("/{folder}")
def get_project(folder: str, runtime: RuntimeDep) -> ProjectOut:
    return ProjectOut.of_summary(projects.get_project(runtime.db, runtime.tenant, folder))


@router.patch("/{folder}")
def rename_project(folder: str, body: ProjectName, runtime: RuntimeDep) -> ProjectOut:
    """Rename: the display name changes now; the folder follows in maintenance."""
    project = projects.rename_project(
        runtime.db, runtime.paths, runtime.tenant, folder, body.name, runtime.queue
    )
    return ProjectOut.of(project)


@router.delete("/{folder}")
def delete_project(folder: str, runtime: RuntimeDep) -> ProjectOut:
    """Hide the project at once; the `project_delete` task (its id in `task_id`) stops the
    project's jobs, moves its folder out of the library (kept 24 h) and deletes its rows."""
    project, job = projects.delete_project(runtime.db, runtime.queue, runtime.tenant, folder)
    out = ProjectOut.of(project)
    out.task_id = job.task_id
    return out
