"""How jobs end: completed (and the task's next step queued), retried after a failure with
backoff, failed for good, canceled, or handed back on shutdown. A task ends with its last step,
or with the first of its steps that fails or is canceled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.enums import JobStatus, TaskStatus
from contactsheet.db.tables import Job, JobItem, Task
from contactsheet.jobs.enqueue import add_step
from contactsheet.jobs.events import add_event
from contactsheet.jobs.leases import ClaimedJob, held
from contactsheet.jobs.queue_core import QueueCore
from contactsheet.jobs.views import job_summary


@dataclass(frozen=True)
class Outcome:
    """How a job ended, as the queue recorded it."""

    status: JobStatus | None  # None: the job was no longer ours, nothing was written
    next_job_id: int | None = None


def complete(core: QueueCore, claimed: ClaimedJob, result: dict[str, Any]) -> Outcome:
    with core.db.write() as session:
        job = held(session, claimed)
        if job is None:
            return Outcome(None)
        job.result = result
        if job.cancel_requested:
            finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            return Outcome(JobStatus.CANCELED)
        job.status = JobStatus.COMPLETED
        job.finished_at = utcnow()
        add_event(session, "jobs", "job_completed", job_summary(job))
        next_id = _advance(core, session, job)
        return Outcome(JobStatus.COMPLETED, next_id)


def fail(core: QueueCore, claimed: ClaimedJob, error: str, *, permanent: bool) -> Outcome:
    with core.db.write() as session:
        job = held(session, claimed)
        if job is None:
            return Outcome(None)
        if job.cancel_requested:
            job.last_error = error
            finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            return Outcome(JobStatus.CANCELED)
        return Outcome(_after_failure(core, session, job, error, permanent=permanent))


def canceled(core: QueueCore, claimed: ClaimedJob) -> Outcome:
    with core.db.write() as session:
        job = held(session, claimed)
        if job is None:
            return Outcome(None)
        finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
        return Outcome(JobStatus.CANCELED)


def release(core: QueueCore, claimed: ClaimedJob) -> Outcome:
    with core.db.write() as session:
        job = held(session, claimed)
        if job is None:
            return Outcome(None)
        job.status = JobStatus.QUEUED
        job.attempts = max(0, job.attempts - 1)
        job.claimed_by = None
        job.heartbeat_at = None
        job.run_after = utcnow()
        add_event(session, "jobs", "job_released", job_summary(job))
        core.notify_after_commit(session)
        return Outcome(JobStatus.QUEUED)


def requeue_stale(core: QueueCore) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=core.config.stale_seconds)
    with core.db.write() as session:
        stale = list(
            session.scalars(
                select(Job)
                .where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff)
                .with_for_update(skip_locked=True)
            )
        )
        for job in stale:
            error = (
                f"worker {job.claimed_by} stopped responding "
                f"(no heartbeat for {core.config.stale_seconds} s)"
            )
            if job.cancel_requested:
                # Its user asked it to stop: it ends canceled, not run again nor failed.
                job.last_error = error
                finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            else:
                _after_failure(core, session, job, error, permanent=False)
        return [job.id for job in stale]


def _after_failure(
    core: QueueCore, session: Session, job: Job, error: str, *, permanent: bool
) -> JobStatus:
    job.last_error = error[:4000]
    job.claimed_by = None
    job.heartbeat_at = None
    if permanent or job.attempts >= job.max_attempts:
        finish(session, job, JobStatus.FAILED, TaskStatus.FAILED)
        return JobStatus.FAILED
    job.status = JobStatus.QUEUED
    job.run_after = utcnow() + core.backoff(job.attempts)
    # A retry runs the step again from the start and records its items afresh: the failed
    # attempt's would stay `pending` forever and count twice in progress.
    session.execute(delete(JobItem).where(JobItem.job_id == job.id))
    job.progress_done = job.progress_total = 0
    add_event(session, "jobs", "job_retrying", job_summary(job))
    return JobStatus.QUEUED


def finish(session: Session, job: Job, status: JobStatus, task_status: TaskStatus) -> None:
    """End `job` for good with `status`, and its task with `task_status`."""
    job.status = status
    job.finished_at = utcnow()
    job.claimed_by = None
    event = {JobStatus.FAILED: "job_failed", JobStatus.CANCELED: "job_canceled"}.get(
        status, "job_completed"
    )
    add_event(session, "jobs", event, job_summary(job))
    if job.task_id is not None:
        _end_task(session, job.task_id, task_status)


def _end_task(session: Session, task_id: int, status: TaskStatus) -> None:
    task = session.get(Task, task_id)
    if task is not None and task.status == TaskStatus.RUNNING:
        task.status = status
        task.finished_at = utcnow()
        add_event(
            session,
            "jobs",
            f"task_{status}",
            {"task_id": task.id, "type": task.type, "project_id": task.project_id},
        )


def _advance(core: QueueCore, session: Session, job: Job) -> int | None:
    """Queue the task's next step, or end the task when this was its last."""
    if job.task_id is None:
        return None
    task = session.get(Task, job.task_id)
    if task is None or task.status != TaskStatus.RUNNING:
        return None
    if core.definition(task.type).step(job.step_index + 1) is None:
        _end_task(session, task.id, TaskStatus.COMPLETED)
        return None
    return add_step(core, session, task, job.step_index + 1, None).id
