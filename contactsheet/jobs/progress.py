"""Items and progress of a running job, written only while its worker still holds it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.enums import ItemStatus
from contactsheet.db.tables import JobItem
from contactsheet.jobs.events import add_event
from contactsheet.jobs.leases import ClaimedJob, held
from contactsheet.jobs.views import job_summary


def items_of(
    db: Database, claimed: ClaimedJob
) -> list[tuple[int, int | None, str | None, ItemStatus]]:
    with db.read() as session:
        rows = session.execute(
            select(JobItem.id, JobItem.photo_id, JobItem.name, JobItem.status)
            .where(JobItem.job_id == claimed.id)
            .order_by(JobItem.id)
        ).all()
    return [(item_id, photo_id, name, status) for item_id, photo_id, name, status in rows]


def add_items(
    db: Database, claimed: ClaimedJob, items: Sequence[tuple[int | None, str | None]]
) -> list[int] | None:
    with db.write() as session:
        job = held(session, claimed)
        if job is None:
            return None
        rows = [JobItem(job_id=job.id, photo_id=p, name=n) for p, n in items]
        session.add_all(rows)
        job.progress_total += len(rows)
        session.flush()
        return [row.id for row in rows]


def finish_item(
    db: Database,
    claimed: ClaimedJob,
    item_id: int,
    status: ItemStatus,
    error: str | None,
    *,
    announce: bool,
    event: dict[str, Any] | None,
) -> tuple[int, int] | None:
    with db.write() as session:
        job = held(session, claimed)
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


def set_progress(
    db: Database, claimed: ClaimedJob, done: int, total: int, *, announce: bool
) -> bool:
    with db.write() as session:
        job = held(session, claimed)
        if job is None:
            return False
        job.progress_done, job.progress_total = done, total
        if announce:
            add_event(session, "jobs", "job_update", job_summary(job))
        return True
