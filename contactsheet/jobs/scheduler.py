"""Periodic tasks: a small loop over last-run times kept in the database.

Why not APScheduler: its job store would be a second owner of "when did this last run" beside our
own tables, and what we need is two rules it does not give together across processes: never start
a run while the previous one is queued or running, and never run twice when several servers and
workers share one database. Both come from one locked row per schedule, read and updated in the
same transaction that starts the task.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contactsheet.clock import utcnow
from contactsheet.config import PipelineSettings
from contactsheet.db import Database
from contactsheet.db.enums import TaskStatus
from contactsheet.db.tables import Schedule, Task
from contactsheet.jobs.queue import JobQueue
from contactsheet.logs import log_event

log = logging.getLogger(__name__)
TICK_SECONDS = 5.0


@dataclass(frozen=True)
class Periodic:
    task_type: str
    interval: timedelta


def periodic_tasks(config: PipelineSettings) -> list[Periodic]:
    return [
        Periodic("maintenance_global", timedelta(seconds=config.maintenance_interval_seconds)),
        Periodic("project_scavenge_global", timedelta(seconds=config.scavenge_interval_seconds)),
        Periodic("folder_discovery", timedelta(seconds=config.discovery_interval_seconds)),
    ]


class Scheduler:
    def __init__(self, db: Database, queue: JobQueue, periodic: list[Periodic]) -> None:
        self.db = db
        self.queue = queue
        self.periodic = periodic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> list[str]:
        """Start every periodic task that is due and not still running; returns their names."""
        started = []
        for entry in self.periodic:
            if self._start_if_due(entry, now or utcnow()):
                started.append(entry.task_type)
        return started

    def _start_if_due(self, entry: Periodic, now: datetime) -> bool:
        self._ensure_row(entry.task_type)
        with self.db.write() as session:
            row = session.scalar(
                select(Schedule).where(Schedule.name == entry.task_type).with_for_update()
            )
            assert row is not None
            if row.last_run_at is not None and now - row.last_run_at < entry.interval:
                return False
            if row.last_task_id is not None:
                previous = session.get(Task, row.last_task_id)
                if previous is not None and previous.status == TaskStatus.RUNNING:
                    return False
            job = self.queue.start_task(session, entry.task_type, origin="schedule", dedup=True)
            row.last_run_at = now
            row.last_task_id = job.task_id
        log_event(log, "scheduled_task_started", task=entry.task_type, task_id=job.task_id)
        return True

    def _ensure_row(self, name: str) -> None:
        with self.db.read() as session:
            if session.get(Schedule, name) is not None:
                return
        try:
            with self.db.write() as session:
                session.add(Schedule(name=name))
        except IntegrityError:
            pass  # another process made it first

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:
                log_event(log, "scheduler_tick_failed", logging.WARNING, error=repr(exc))
            self._stop.wait(TICK_SECONDS)
