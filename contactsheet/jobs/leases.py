"""Claiming jobs and holding them: a worker's lease on a job is its worker id and attempt number,
kept alive by heartbeats. Every write for a running job checks the lease first (`held`), so a
worker presumed dead that comes back cannot overwrite what happened since (docs/jobs.md, "Lost
lease")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.enums import JobStatus
from contactsheet.db.tables import Job
from contactsheet.jobs.events import add_event
from contactsheet.jobs.views import job_summary


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker holds while it runs a job. `attempt` and `worker_id` prove it still does."""

    id: int
    type: str
    scope: str
    project_id: int | None
    task_id: int | None
    step_index: int
    priority: int
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    worker_id: str


def claim(db: Database, worker_id: str, *, min_priority: int) -> ClaimedJob | None:
    now = utcnow()
    candidate = (
        select(Job.id)
        .where(
            Job.status == JobStatus.QUEUED,
            Job.run_after <= now,
            Job.priority >= min_priority,
        )
        .order_by(Job.priority.desc(), Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(Job)
        .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            claimed_by=worker_id,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    with db.write() as session:
        job_id = session.execute(statement).scalar_one_or_none()
        if job_id is None:
            return None
        job = session.get_one(Job, job_id)
        add_event(session, "jobs", "job_started", job_summary(job))
        return ClaimedJob(
            id=job.id,
            type=job.type,
            scope=job.scope,
            project_id=job.project_id,
            task_id=job.task_id,
            step_index=job.step_index,
            priority=job.priority,
            payload=dict(job.payload),
            attempt=job.attempts,
            max_attempts=job.max_attempts,
            worker_id=worker_id,
        )


def held(session: Session, claimed: ClaimedJob) -> Job | None:
    """The job row if `claimed` still owns it, locked for the rest of the transaction."""
    job = session.get(Job, claimed.id, with_for_update=True, populate_existing=True)
    if (
        job is None
        or job.status != JobStatus.RUNNING
        or job.claimed_by != claimed.worker_id
        or job.attempts != claimed.attempt
    ):
        return None
    return job


def heartbeat(db: Database, claimed: Sequence[ClaimedJob]) -> dict[int, bool | None]:
    now = utcnow()
    answer: dict[int, bool | None] = {}
    with db.write() as session:
        for one in claimed:
            cancel = session.execute(
                update(Job)
                .where(
                    Job.id == one.id,
                    Job.status == JobStatus.RUNNING,
                    Job.claimed_by == one.worker_id,
                    Job.attempts == one.attempt,
                )
                .values(heartbeat_at=now)
                .returning(Job.cancel_requested)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            answer[one.id] = cancel
    return answer
