"""Read models of jobs: what events announce, and what the API and the CLI show.

They are plain values copied out of the rows, so nothing outside jobs/ handles a job row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactsheet.db import Database
from contactsheet.db.enums import ItemStatus, JobStatus, TaskStatus
from contactsheet.db.tables import Job, JobItem, Task
from contactsheet.errors import NotFound
from contactsheet.jobs.queue_core import JobNotFound


def job_summary(job: Job) -> dict[str, Any]:
    """The payload of every job event."""
    return {
        "job_id": job.id,
        "task_id": job.task_id,
        "type": job.type,
        "project_id": job.project_id,
        "status": job.status,
        "priority": job.priority,
        "attempts": job.attempts,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "last_error": job.last_error,
    }


@dataclass(frozen=True)
class JobView:
    """A job as users see it; `items` counts its items by status where they were asked for."""

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
    progress_done: int
    progress_total: int
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
    items: dict[str, int] | None = None

    @classmethod
    def of(cls, job: Job, items: dict[str, int] | None = None) -> JobView:
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
            progress_done=job.progress_done,
            progress_total=job.progress_total,
            last_error=job.last_error,
            result=job.result,
            created_at=job.created_at,
            run_after=job.run_after,
            started_at=job.started_at,
            finished_at=job.finished_at,
            items=items,
        )


def _job_with_counts(session: Session, job_id: int) -> tuple[Job, dict[str, int]]:
    job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    counts = dict(
        session.execute(
            select(JobItem.status, func.count())
            .where(JobItem.job_id == job_id)
            .group_by(JobItem.status)
        ).all()
    )
    return job, {status.value: int(counts.get(status, 0)) for status in ItemStatus}


def get(db: Database, job_id: int) -> tuple[Job, dict[str, int]]:
    """The job row and its item counts by status."""
    with db.read() as session:
        return _job_with_counts(session, job_id)


def view(db: Database, job_id: int) -> JobView:
    """The job with its item counts by status."""
    with db.read() as session:
        return JobView.of(*_job_with_counts(session, job_id))


def list_jobs(
    db: Database,
    *,
    statuses: Sequence[JobStatus] = (),
    types: Sequence[str] = (),
    project_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[JobView]:
    """Newest first; `before_id` pages backwards."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if statuses:
        query = query.where(Job.status.in_(statuses))
    if types:
        query = query.where(Job.type.in_(types))
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    if before_id is not None:
        query = query.where(Job.id < before_id)
    with db.read() as session:
        return [JobView.of(job) for job in session.scalars(query)]


def task_status(db: Database, task_id: int) -> tuple[TaskStatus, JobView | None]:
    """The task's status and its newest job (for progress)."""
    with db.read() as session:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound(f"no task {task_id}")
        job = session.scalar(
            select(Job).where(Job.task_id == task_id).order_by(Job.id.desc()).limit(1)
        )
        return task.status, JobView.of(job) if job is not None else None


def task_jobs(db: Database, task_id: int) -> list[JobView]:
    """Every job of a task, its steps in order (retries included)."""
    with db.read() as session:
        jobs = session.scalars(select(Job).where(Job.task_id == task_id).order_by(Job.id))
        return [JobView.of(job) for job in jobs]


def running_jobs_of_project(db: Database, project_id: int, *, except_task: int | None) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    Job.project_id == project_id,
                    Job.status == JobStatus.RUNNING,
                    Job.task_id.is_distinct_from(except_task),
                )
            )
            or 0
        )
