"""Queuing work: a task's first step, its next steps, and the de-duplication of identical tasks."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.enums import JobScope, JobStatus, TaskStatus
from contactsheet.db.locks import hold_until_commit
from contactsheet.db.tables import Job, Task
from contactsheet.errors import InvalidInput
from contactsheet.jobs.events import add_event
from contactsheet.jobs.queue_core import QueueCore
from contactsheet.jobs.views import job_summary


def dedup_key(type_: str, scope: str, project_id: int | None, payload: dict[str, Any]) -> str:
    canonical = json.dumps([type_, scope, project_id, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def start_task(
    core: QueueCore,
    session: Session,
    task_type: str,
    *,
    project_id: int | None,
    payload: dict[str, Any] | None,
    origin: str,
    dedup: bool,
) -> Job:
    definition = core.definition(task_type)
    if definition.scope == JobScope.PROJECT and project_id is None:
        raise InvalidInput(f"task {task_type!r} needs a project")
    if definition.scope == JobScope.GLOBAL and project_id is not None:
        raise InvalidInput(f"task {task_type!r} covers the whole library")
    payload = payload or {}
    if definition.exclusive is not None:
        running = running_in_group(core, session, definition.exclusive)
        if running is not None:
            return running
    key = dedup_key(task_type, definition.scope, project_id, payload) if dedup else None
    if key is not None and (existing := _queued_with_key(session, key)) is not None:
        return existing
    try:
        with session.begin_nested():
            task = Task(
                tenant=core.tenant,
                type=task_type,
                scope=definition.scope,
                project_id=project_id,
                payload=payload,
                origin=origin,
            )
            session.add(task)
            session.flush()
            job = add_step(core, session, task, 0, key)
    except IntegrityError:
        # A concurrent transaction queued the identical task between our look and our insert.
        existing = _queued_with_key(session, key) if key else None
        if existing is None:
            raise
        return existing
    return job


def _queued_first_step(
    core: QueueCore, session: Session, task_type: str, project_id: int
) -> Job | None:
    """The newest run of `task_type` for the project that no worker has started, locked for the
    caller's transaction. One a claim holds right now is passed over (PostgreSQL: SKIP LOCKED),
    so the caller never waits on a worker and never changes a job being taken."""
    return session.scalar(
        select(Job)
        .join(Task, Task.id == Job.task_id)
        .where(
            Job.tenant == core.tenant,
            Job.project_id == project_id,
            Job.status == JobStatus.QUEUED,
            Job.step_index == 0,
            Job.attempts == 0,
            Task.type == task_type,
        )
        .order_by(Job.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def start_or_join(
    core: QueueCore,
    session: Session,
    task_type: str,
    *,
    project_id: int,
    photo_ids: list[int],
    origin: str,
    most: int,
) -> Job:
    """Queue `task_type` for these photos, or add them to a run of it for the same project that
    is still waiting (up to `most` photos a run): a shoot arriving a file per request becomes a
    few batches instead of a job per photo (docs/jobs.md, "Batches")."""
    queued = _queued_first_step(core, session, task_type, project_id)
    if queued is not None:
        merged = sorted(set(queued.payload.get("photo_ids", [])) | set(photo_ids))
        if len(merged) <= most:
            task = session.get_one(Task, queued.task_id)
            # New dicts: the JSON columns are compared by value when the session flushes.
            queued.payload = {**queued.payload, "photo_ids": merged}
            task.payload = {**task.payload, "photo_ids": merged}
            return queued
    return start_task(
        core,
        session,
        task_type,
        project_id=project_id,
        payload={"photo_ids": sorted(set(photo_ids))},
        origin=origin,
        dedup=False,
    )


def start_debounced(
    core: QueueCore,
    session: Session,
    task_type: str,
    *,
    project_id: int,
    delay: timedelta,
    longest: timedelta,
    origin: str,
) -> Job:
    """Queue `task_type` for the project to run `delay` from now; asked again before it starts,
    the same run is pushed back instead, but never past `longest` after it was first asked for
    (a project receiving files for hours is still checked now and then)."""
    now = utcnow()
    queued = _queued_first_step(core, session, task_type, project_id)
    if queued is not None:
        latest = queued.created_at + longest
        queued.run_after = max(queued.run_after, min(now + delay, latest))
        return queued
    job = start_task(
        core, session, task_type, project_id=project_id, payload={}, origin=origin, dedup=False
    )
    job.run_after = now + delay
    return job


def running_in_group(core: QueueCore, session: Session, group: str) -> Job | None:
    """The current job of a running task of the exclusive `group`, if one runs.

    The check and the start that follows it are one step for every process: the group's lock is
    held until the caller's transaction ends (SQLite's single writer does the same). A running
    task is its own lease: its current job is claimed with a heartbeat, and a worker that dies
    loses the claim after `stale_seconds`, when another worker finishes the run.
    """
    hold_until_commit(session, f"exclusive:{core.tenant}:{group}")
    types = [d.name for d in core.catalogue.values() if d.exclusive == group]
    task = session.scalar(
        select(Task)
        .where(Task.tenant == core.tenant, Task.type.in_(types), Task.status == TaskStatus.RUNNING)
        .order_by(Task.id)
        .limit(1)
    )
    if task is None:
        return None
    return session.scalar(
        select(Job)
        .where(Job.task_id == task.id)
        .order_by(Job.step_index.desc(), Job.id.desc())
        .limit(1)
    )


def _queued_with_key(session: Session, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.dedup_key == key, Job.status == JobStatus.QUEUED))


def add_step(core: QueueCore, session: Session, task: Task, index: int, key: str | None) -> Job:
    """Queue step `index` of `task` as a new job."""
    step = core.definition(task.type).steps[index]
    job = Job(
        tenant=core.tenant,
        task_id=task.id,
        step_index=index,
        type=step.type,
        scope=task.scope,
        project_id=task.project_id,
        priority=step.priority,
        payload=task.payload,
        dedup_key=key,
        max_attempts=core.config.max_attempts,
        run_after=utcnow(),
    )
    session.add(job)
    session.flush()
    task.step_index = index
    announce_queued(core, session, job)
    return job


def announce_queued(core: QueueCore, session: Session, job: Job) -> None:
    """Publish `job_queued` for a job just added, and wake idle workers once it commits."""
    add_event(session, "jobs", "job_queued", job_summary(job))
    core.notify_after_commit(session)
