"""Jobs: list, show, cancel, retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import JobId, Text
from contactsheet.catalog.projects import project_id_of
from contactsheet.db.enums import JobStatus
from contactsheet.errors import InvalidInput
from contactsheet.jobs.views import JobView

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class Progress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: int
    task_id: int | None
    step_index: int
    type: str
    scope: str
    project_id: int | None
    priority: int
    status: JobStatus
    attempts: int
    max_attempts: int
    cancel_requested: bool
    progress: Progress
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
    items: dict[str, int] | None = None

    @classmethod
    def of(cls, job: JobView) -> JobOut:
        return cls(
            id=job.id,
            task_id=job.task_id,
            step_index=job.step_index,
            type=job.type,
            scope=job.scope,
            project_id=job.project_id,
            priority=job.priority,
            status=job.status,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            cancel_requested=job.cancel_requested,
            progress=Progress(done=job.progress_done, total=job.progress_total),
            last_error=job.last_error,
            result=job.result,
            created_at=job.created_at,
            run_after=job.run_after,
            started_at=job.started_at,
            finished_at=job.finished_at,
            items=job.items,
        )


class JobList(BaseModel):
    items: list[JobOut]
    next_before: int | None


def _split(values: list[str]) -> list[str]:
    return [v for value in values for v in value.split(",") if v]


@router.get("")
def list_jobs(
    runtime: RuntimeDep,
    status: Annotated[list[str], Query(description="queued, running, …; comma list")] = [],  # noqa: B006
    type: Annotated[list[Text], Query(description="step types; comma list")] = [],  # noqa: B006
    project: Annotated[str | None, Query(description="project folder")] = None,
    before: Annotated[JobId | None, Query(description="page: jobs older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    """Newest first; page backwards with `before=<next_before>`."""
    try:
        statuses = [JobStatus(s) for s in _split(status)]
    except ValueError as exc:
        raise InvalidInput(f"unknown job status in {status}") from exc
    project_id = project_id_of(runtime.db, runtime.tenant, project) if project is not None else None
    jobs = runtime.queue.list_jobs(
        statuses=statuses,
        types=_split(type),
        project_id=project_id,
        before_id=before,
        limit=limit,
    )
    next_before = jobs[-1].id if len(jobs) == limit else None
    return JobList(items=[JobOut.of(job) for job in jobs], next_before=next_before)


@router.get("/{job_id}")
def get_job(job_id: JobId, runtime: RuntimeDep) -> JobOut:
    """One job with its item counts by status."""
    return JobOut.of(runtime.queue.view(job_id))


@router.post("/{job_id}/cancel")
def cancel_job(job_id: JobId, runtime: RuntimeDep) -> JobOut:
    """A queued job ends `canceled` now; a running one stops between items (409 if ended)."""
    return JobOut.of(runtime.queue.request_cancel(job_id))


@router.post("/{job_id}/retry", status_code=202)
def retry_job(job_id: JobId, runtime: RuntimeDep) -> JobOut:
    """Queue a failed or canceled step again; its task goes on from there. Returns the new job."""
    return JobOut.of(runtime.queue.retry(job_id))
