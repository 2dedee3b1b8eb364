"""What every part of the queue shares: the database, the settings, the task catalogue, the
tenant, and who to wake when work is queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from contactsheet.config import PipelineSettings
from contactsheet.db import Database
from contactsheet.db.database import after_commit
from contactsheet.db.enums import JobStatus
from contactsheet.errors import InvalidInput, NotFound
from contactsheet.jobs.tasks import TaskDefinition

FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class JobNotFound(NotFound):
    code = "job_not_found"


@dataclass
class QueueCore:
    db: Database
    config: PipelineSettings
    catalogue: dict[str, TaskDefinition]
    tenant: str
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def definition(self, task_type: str) -> TaskDefinition:
        try:
            return self.catalogue[task_type]
        except KeyError:
            raise InvalidInput(f"unknown task type {task_type!r}") from None

    def notify_after_commit(self, session: Session) -> None:
        """Wake the listeners once `session`, which queued work, has committed."""
        for listener in self.listeners:
            after_commit(session, listener)

    def backoff(self, attempt: int) -> timedelta:
        seconds = self.config.backoff_base_seconds * 2 ** max(0, attempt - 1)
        return timedelta(seconds=min(seconds, self.config.backoff_max_seconds))
