"""The job queue: the only code that writes jobs, job items and tasks.

Every state change happens in one transaction together with the event that announces it. A job
leaves `running` only through the worker that holds it (matched by worker id and attempt), so a
worker that was presumed dead and comes back cannot overwrite what happened since (SPEC §13).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.config import PipelineSettings
from contactsheet.db import Database
from contactsheet.db.database import after_commit
from contactsheet.db.enums import ItemStatus, JobScope, JobStatus, TaskStatus
from contactsheet.db.tables import Job, JobItem, Task
from contactsheet.errors import Conflict, InvalidInput, NotFound
from contactsheet.jobs.events import add_event
from contactsheet.jobs.tasks import TaskDefinition

FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class JobNotFound(NotFound):
    code = "job_not_found"


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


@dataclass(frozen=True)
class Outcome:
    """How a job ended, as the queue recorded it."""

    status: JobStatus | None  # None: the job was no longer ours, nothing was written
    next_job_id: int | None = None


def job_summary(job: Job) -> dict[str, Any]:
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


def dedup_key(type_: str, scope: str, project_id: int | None, payload: dict[str, Any]) -> str:
    canonical = json.dumps([type_, scope, project_id, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class JobQueue:
    def __init__(
        self,
        db: Database,
        config: PipelineSettings,
        catalogue: dict[str, TaskDefinition],
        tenant: str,
    ) -> None:
        self.db = db
        self.config = config
        self.catalogue = catalogue
        self.tenant = tenant
        self._listeners: list[Callable[[], None]] = []

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call `listener` after any transaction that queued work commits (wakes idle workers)."""
        self._listeners.append(listener)

    def _notify_after_commit(self, session: Session) -> None:
        for listener in self._listeners:
            after_commit(session, listener)

    def backoff(self, attempt: int) -> timedelta:
        seconds = self.config.backoff_base_seconds * 2 ** max(0, attempt - 1)
        return timedelta(seconds=min(seconds, self.config.backoff_max_seconds))

    # -- starting work --------------------------------------------------------------------------

    def definition(self, task_type: str) -> TaskDefinition:
        try:
            return self.catalogue[task_type]
        except KeyError:
            raise InvalidInput(f"unknown task type {task_type!r}") from None

    def start_task(
        self,
        session: Session,
        task_type: str,
        *,
        project_id: int | None = None,
        payload: dict[str, Any] | None = None,
        origin: str = "user",
        dedup: bool = False,
    ) -> Job:
        """Queue the task's first step inside the caller's transaction; returns that job.

        With `dedup`, an identical task whose first step is still queued is reused instead.
        """
        definition = self.definition(task_type)
        if definition.scope == JobScope.PROJECT and project_id is None:
            raise InvalidInput(f"task {task_type!r} needs a project")
        if definition.scope == JobScope.GLOBAL and project_id is not None:
            raise InvalidInput(f"task {task_type!r} covers the whole library")
        payload = payload or {}
        key = dedup_key(task_type, definition.scope, project_id, payload) if dedup else None
        if key is not None and (existing := self._queued_with_key(session, key)) is not None:
            return existing
        try:
            with session.begin_nested():
                task = Task(
                    tenant=self.tenant,
                    type=task_type,
                    scope=definition.scope,
                    project_id=project_id,
                    payload=payload,
                    origin=origin,
                )
                session.add(task)
                session.flush()
                job = self._add_step(session, task, 0, key)
        except IntegrityError:
            # A concurrent transaction queued the identical task between our look and our insert.
            existing = self._queued_with_key(session, key) if key else None
            if existing is None:
                raise
            return existing
        return job

    def _queued_with_key(self, session: Session, key: str) -> Job | None:
        return session.scalar(
            select(Job).where(Job.dedup_key == key, Job.status == JobStatus.QUEUED)
        )

    def _add_step(self, session: Session, task: Task, index: int, key: str | None) -> Job:
        step = self.definition(task.type).steps[index]
        job = Job(
            tenant=self.tenant,
            task_id=task.id,
            step_index=index,
            type=step.type,
            scope=task.scope,
            project_id=task.project_id,
            priority=step.priority,
            payload=task.payload,
            dedup_key=key,
            max_attempts=self.config.max_attempts,
            run_after=utcnow(),
        )
        session.add(job)
        session.flush()
        task.step_index = index
        add_event(session, "jobs", "job_queued", job_summary(job))
        self._notify_after_commit(session)
        return job

    # -- claiming and holding -------------------------------------------------------------------

    def claim(self, worker_id: str, *, min_priority: int = 0) -> ClaimedJob | None:
        """Take the best runnable job (priority, then age) for `worker_id`, or None.

        One statement: on PostgreSQL the candidate row is locked with SKIP LOCKED, so concurrent
        workers each get a different job; on SQLite the writer lock serialises claims.
        """
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
        with self.db.write() as session:
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

    def _held(self, session: Session, held: ClaimedJob) -> Job | None:
        """The job row if `held` still owns it, locked for the rest of the transaction."""
        job = session.get(Job, held.id, with_for_update=True, populate_existing=True)
        if (
            job is None
            or job.status != JobStatus.RUNNING
            or job.claimed_by != held.worker_id
            or job.attempts != held.attempt
        ):
            return None
        return job

    def heartbeat(self, held: Sequence[ClaimedJob]) -> dict[int, bool | None]:
        """Refresh the heartbeats of `held`; per job: cancel requested, or None when lost."""
        now = utcnow()
        answer: dict[int, bool | None] = {}
        with self.db.write() as session:
            for claimed in held:
                cancel = session.execute(
                    update(Job)
                    .where(
                        Job.id == claimed.id,
                        Job.status == JobStatus.RUNNING,
                        Job.claimed_by == claimed.worker_id,
                        Job.attempts == claimed.attempt,
                    )
                    .values(heartbeat_at=now)
                    .returning(Job.cancel_requested)
                    .execution_options(synchronize_session=False)
                ).scalar_one_or_none()
                answer[claimed.id] = cancel
        return answer

    def requeue_stale(self) -> list[int]:
        """Put running jobs whose worker stopped beating back in the queue, counting the attempt."""
        cutoff = utcnow() - timedelta(seconds=self.config.stale_seconds)
        with self.db.write() as session:
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
                    f"(no heartbeat for {self.config.stale_seconds} s)"
                )
                if job.cancel_requested:
                    # Its user asked it to stop: it ends canceled, not run again nor failed.
                    job.last_error = error
                    self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
                else:
                    self._after_failure(session, job, error, permanent=False)
            return [job.id for job in stale]

    # -- progress -------------------------------------------------------------------------------

    def items_of(self, held: ClaimedJob) -> list[tuple[int, int | None, str | None, ItemStatus]]:
        """The items already recorded for the job (id, photo id, name, status), oldest first: a
        job handed back on a shutdown keeps them, and its next run resumes from them."""
        with self.db.read() as session:
            rows = session.execute(
                select(JobItem.id, JobItem.photo_id, JobItem.name, JobItem.status)
                .where(JobItem.job_id == held.id)
                .order_by(JobItem.id)
            ).all()
        return [(item_id, photo_id, name, status) for item_id, photo_id, name, status in rows]

    def add_items(
        self, held: ClaimedJob, items: Sequence[tuple[int | None, str | None]]
    ) -> list[int] | None:
        """Record items (photo id, name) as pending; their ids in order, None if the job is lost."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return None
            rows = [JobItem(job_id=job.id, photo_id=p, name=n) for p, n in items]
            session.add_all(rows)
            job.progress_total += len(rows)
            session.flush()
            return [row.id for row in rows]

    def finish_item(
        self,
        held: ClaimedJob,
        item_id: int,
        status: ItemStatus,
        error: str | None = None,
        *,
        announce: bool,
        event: dict[str, Any] | None = None,
    ) -> tuple[int, int] | None:
        """Mark one item; returns (done, total), or None if the job is no longer `held`'s.
        Publishes job_update when `announce` or last, and `event` as the item's own `item` event
        in the same transaction. An item counts once however often it is marked."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return None
            item = session.get(JobItem, item_id)
            if item is None or item.job_id != job.id:
                return job.progress_done, job.progress_total
            if item.status == ItemStatus.PENDING:
                job.progress_done += 1
            item.status, item.error, item.updated_at = status, error, utcnow()
            if announce or job.progress_done >= job.progress_total:
                add_event(session, "jobs", "job_update", job_summary(job))
            if event is not None:
                add_event(session, "jobs", "item", {"job_id": job.id, **event})
            return job.progress_done, job.progress_total

    def set_progress(self, held: ClaimedJob, done: int, total: int, *, announce: bool) -> bool:
        """Report progress of a job without items; False if the job is no longer `held`'s."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return False
            job.progress_done, job.progress_total = done, total
            if announce:
                add_event(session, "jobs", "job_update", job_summary(job))
            return True

    # -- ending ---------------------------------------------------------------------------------

    def complete(self, held: ClaimedJob, result: dict[str, Any]) -> Outcome:
        """The handler returned. A cancel requested meanwhile still wins: the task stops."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return Outcome(None)
            job.result = result
            if job.cancel_requested:
                self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
                return Outcome(JobStatus.CANCELED)
            job.status = JobStatus.COMPLETED
            job.finished_at = utcnow()
            add_event(session, "jobs", "job_completed", job_summary(job))
            next_id = self._advance(session, job)
            return Outcome(JobStatus.COMPLETED, next_id)

    def fail(self, held: ClaimedJob, error: str, *, permanent: bool = False) -> Outcome:
        """The handler raised: retry later with backoff, or fail for good after the last attempt."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return Outcome(None)
            if job.cancel_requested:
                job.last_error = error
                self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
                return Outcome(JobStatus.CANCELED)
            return Outcome(self._after_failure(session, job, error, permanent=permanent))

    def canceled(self, held: ClaimedJob) -> Outcome:
        """The handler stopped because a cancel was requested."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return Outcome(None)
            self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            return Outcome(JobStatus.CANCELED)

    def release(self, held: ClaimedJob) -> Outcome:
        """Give a job back on shutdown, without counting the attempt it did not finish. Its items
        and progress stay: the next run skips the items this one finished."""
        with self.db.write() as session:
            job = self._held(session, held)
            if job is None:
                return Outcome(None)
            job.status = JobStatus.QUEUED
            job.attempts = max(0, job.attempts - 1)
            job.claimed_by = None
            job.heartbeat_at = None
            job.run_after = utcnow()
            add_event(session, "jobs", "job_released", job_summary(job))
            self._notify_after_commit(session)
            return Outcome(JobStatus.QUEUED)

    def _after_failure(
        self, session: Session, job: Job, error: str, *, permanent: bool
    ) -> JobStatus:
        job.last_error = error[:4000]
        job.claimed_by = None
        job.heartbeat_at = None
        if permanent or job.attempts >= job.max_attempts:
            self._finish(session, job, JobStatus.FAILED, TaskStatus.FAILED)
            return JobStatus.FAILED
        job.status = JobStatus.QUEUED
        job.run_after = utcnow() + self.backoff(job.attempts)
        # A retry runs the step again from the start and records its items afresh: the failed
        # attempt's would stay `pending` forever and count twice in progress.
        session.execute(delete(JobItem).where(JobItem.job_id == job.id))
        job.progress_done = job.progress_total = 0
        add_event(session, "jobs", "job_retrying", job_summary(job))
        return JobStatus.QUEUED

    def _finish(
        self, session: Session, job: Job, status: JobStatus, task_status: TaskStatus
    ) -> None:
        job.status = status
        job.finished_at = utcnow()
        job.claimed_by = None
        event = {JobStatus.FAILED: "job_failed", JobStatus.CANCELED: "job_canceled"}.get(
            status, "job_completed"
        )
        add_event(session, "jobs", event, job_summary(job))
        if job.task_id is not None:
            self._end_task(session, job.task_id, task_status)

    def _end_task(self, session: Session, task_id: int, status: TaskStatus) -> None:
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

    def _advance(self, session: Session, job: Job) -> int | None:
        """Queue the task's next step, or end the task when this was its last."""
        if job.task_id is None:
            return None
        task = session.get(Task, job.task_id)
        if task is None or task.status != TaskStatus.RUNNING:
            return None
        if self.definition(task.type).step(job.step_index + 1) is None:
            self._end_task(session, task.id, TaskStatus.COMPLETED)
            return None
        return self._add_step(session, task, job.step_index + 1, None).id

    # -- what users ask for ---------------------------------------------------------------------

    def request_cancel(self, job_id: int) -> Job:
        """Cancel a queued job now; ask a running one to stop between items."""
        with self.db.write() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise JobNotFound(f"no job {job_id}")
            if job.status in FINISHED:
                raise Conflict(f"job {job_id} has already ended ({job.status})")
            if job.status == JobStatus.QUEUED:
                self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
            else:
                job.cancel_requested = True
                add_event(session, "jobs", "job_cancel_requested", job_summary(job))
            return job

    def cancel_project_jobs(self, project_id: int, *, except_task: int | None) -> list[int]:
        """Cancel every unfinished job of a project but those of `except_task`; returns ids."""
        with self.db.write() as session:
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
                    self._finish(session, job, JobStatus.CANCELED, TaskStatus.CANCELED)
                elif not job.cancel_requested:
                    job.cancel_requested = True
                    add_event(session, "jobs", "job_cancel_requested", job_summary(job))
            return [job.id for job in jobs]

    def running_jobs_of_project(self, project_id: int, *, except_task: int | None) -> int:
        with self.db.read() as session:
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

    def retry(self, job_id: int) -> Job:
        """Run a failed or canceled step again; its task resumes from that step."""
        with self.db.write() as session:
            old = session.get(Job, job_id, with_for_update=True)
            if old is None:
                raise JobNotFound(f"no job {job_id}")
            if old.status not in (JobStatus.FAILED, JobStatus.CANCELED):
                raise Conflict(
                    f"only failed or canceled jobs can be retried (this is {old.status})"
                )
            task = session.get(Task, old.task_id) if old.task_id is not None else None
            if task is not None:
                if task.status == TaskStatus.RUNNING:
                    raise Conflict(f"task {task.id} is already running again")
                task.status = TaskStatus.RUNNING
                task.finished_at = None
                return self._add_step(session, task, old.step_index, None)
            job = Job(
                tenant=old.tenant,
                type=old.type,
                scope=old.scope,
                project_id=old.project_id,
                priority=old.priority,
                payload=old.payload,
                max_attempts=self.config.max_attempts,
                run_after=utcnow(),
            )
            session.add(job)
            session.flush()
            add_event(session, "jobs", "job_queued", job_summary(job))
            self._notify_after_commit(session)
            return job

    def prune_finished(self, older_than: timedelta) -> int:
        """Delete ended tasks (with their jobs and items) and lone ended jobs older than this."""
        cutoff = utcnow() - older_than
        ended = [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED]
        with self.db.write() as session:
            tasks = session.execute(
                delete(Task).where(Task.status.in_(ended), Task.finished_at < cutoff)
            ).rowcount
            jobs = session.execute(
                delete(Job).where(
                    Job.task_id.is_(None), Job.status.in_(FINISHED), Job.finished_at < cutoff
                )
            ).rowcount
            return int(tasks or 0) + int(jobs or 0)

    # -- reading --------------------------------------------------------------------------------

    def get(self, job_id: int) -> tuple[Job, dict[str, int]]:
        with self.db.read() as session:
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

    def list_jobs(
        self,
        *,
        statuses: Sequence[JobStatus] = (),
        types: Sequence[str] = (),
        project_id: int | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[Job]:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if statuses:
            query = query.where(Job.status.in_(statuses))
        if types:
            query = query.where(Job.type.in_(types))
        if project_id is not None:
            query = query.where(Job.project_id == project_id)
        if before_id is not None:
            query = query.where(Job.id < before_id)
        with self.db.read() as session:
            return list(session.scalars(query))

    def task_status(self, task_id: int) -> tuple[TaskStatus, Job | None]:
        """The task's status and its newest job (for progress)."""
        with self.db.read() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise NotFound(f"no task {task_id}")
            job = session.scalar(
                select(Job).where(Job.task_id == task_id).order_by(Job.id.desc()).limit(1)
            )
            return task.status, job

    def task_jobs(self, task_id: int) -> list[Job]:
        """Every job of a task, its steps in order (retries included)."""
        with self.db.read() as session:
            return list(session.scalars(select(Job).where(Job.task_id == task_id).order_by(Job.id)))

    def last_finished_at(self, session: Session, task_id: int | None) -> datetime | None:
        if task_id is None:
            return None
        task = session.get(Task, task_id)
        return task.finished_at if task else None
