"""Deleting ended work once it is old enough (the `job_retention` maintenance step)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.enums import TaskStatus
from contactsheet.db.tables import Job, Task
from contactsheet.jobs.queue_core import FINISHED


def prune_finished(db: Database, older_than: timedelta) -> int:
    cutoff = utcnow() - older_than
    ended = [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED]
    with db.write() as session:
        tasks = session.execute(
            delete(Task).where(Task.status.in_(ended), Task.finished_at < cutoff)
        ).rowcount
        jobs = session.execute(
            delete(Job).where(
                Job.task_id.is_(None), Job.status.in_(FINISHED), Job.finished_at < cutoff
            )
        ).rowcount
        return int(tasks or 0) + int(jobs or 0)
