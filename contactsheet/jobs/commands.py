"""What users ask of jobs: cancel one, cancel a project's, run a failed or canceled step again."""

from __future__ import annotations

from sqlalchemy import select

from contactsheet.clock import utcnow
from contactsheet.db.enums import JobStatus, TaskStatus
from contactsheet.db.tables import Job, Task
from contactsheet.errors import Conflict
from contactsheet.jobs.completion import finish
from contactsheet.jobs.enqueue import add_step, announce_queued
from contactsheet.jobs.events import add_event
from contactsheet.jobs.queue_core import FINISHED, JobNotFound, QueueCore
from contactsheet.jobs.views import JobView, job_summary, view


def request_cancel(core: QueueCore, job_id: int) -> JobView:
    with core.db.write() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        if job.status in FINISHED:
            raise Conflict(f"job {job_id} has already ended ({job.status})")
        if job.status == JobStatus.QUEUED:
            finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
        else:
            job.cancel_requested = True
            add_event(session, "jobs", "job_cancel_requested", job_summary(job))
    return view(core.db, job_id)


def cancel_project_jobs(core: QueueCore, project_id: int, *, except_task: int | None) -> list[int]:
    with core.db.write() as session:
        jobs = list(
            session.scalars(
                select(Job)
                .where(
                    Job.project_id == project_id,
                    Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
                    Job.task_id.is_distinct_from(except_task),
                )
                .with_for_update()
            )
        )
        for job in jobs:
            if job.status == JobStatus.QUEUED:
                finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            elif not job.cancel_requested:
                job.cancel_requested = True
                add_event(session, "jobs", "job_cancel_requested", job_summary(job))
        return [job.id for job in jobs]


def retry(core: QueueCore, job_id: int) -> JobView:
    with core.db.write() as session:
        old = session.get(Job, job_id, with_for_update=True)
        if old is None:
            raise JobNotFound(f"no job {job_id}")
        if old.status not in (JobStatus.FAILED, JobStatus.CANCELED):
            raise Conflict(f"only failed or canceled jobs can be retried (this is {old.status})")
        task = session.get(Task, old.task_id) if old.task_id is not None else None
        if task is not None:
            if task.status == TaskStatus.RUNNING:
                raise Conflict(f"task {task.id} is already running again")
            task.status = TaskStatus.RUNNING
            task.finished_at = None
            return JobView.of(add_step(core, session, task, old.step_index, None))
        job = Job(
            tenant=old.tenant,
            type=old.type,
            scope=old.scope,
            project_id=old.project_id,
            priority=old.priority,
            payload=old.payload,
            max_attempts=core.config.max_attempts,
            run_after=utcnow(),
        )
        session.add(job)
        session.flush()
        announce_queued(core, session, job)
        return JobView.of(job)
