"""What a handler gets: its job, the application's parts, progress reporting and cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from contactsheet.db.enums import ItemStatus
from contactsheet.jobs.events import publish

if TYPE_CHECKING:
    from contactsheet.jobs.queue import ClaimedJob, JobQueue
    from contactsheet.runtime import Runtime

# Progress events are published at most this often per job, and always for the last item.
UPDATE_INTERVAL_SECONDS = 0.25


class JobCanceled(Exception):
    """A user asked the job to stop; raised between items by `check_canceled`."""


class JobLost(Exception):
    """The queue no longer knows this worker as the job's holder (presumed dead, requeued)."""


class WorkerStopping(Exception):
    """The worker is shutting down; the job goes back to the queue unfinished."""


class PermanentJobError(Exception):
    """A failure no retry can fix (bad payload, missing project): fail without retrying."""


class JobContext:
    def __init__(self, job: ClaimedJob, runtime: Runtime, queue: JobQueue) -> None:
        self.job = job
        self.runtime = runtime
        self.queue = queue
        self.cancel_requested = threading.Event()
        self.lost = threading.Event()
        self.stopping = threading.Event()
        self._last_update = 0.0

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    def check_canceled(self) -> None:
        """Call between items: raises when the job must stop now."""
        if self.lost.is_set():
            raise JobLost(f"job {self.job.id} was taken over after a missed heartbeat")
        if self.cancel_requested.is_set():
            raise JobCanceled(f"job {self.job.id} was canceled")
        if self.stopping.is_set():
            raise WorkerStopping(f"worker stopping; job {self.job.id} goes back to the queue")

    def add_items(self, items: Sequence[tuple[int | None, str | None]]) -> list[int]:
        return self.queue.add_items(self.job, items)

    def _due(self, last: bool) -> bool:
        now = time.monotonic()
        if last or now - self._last_update >= UPDATE_INTERVAL_SECONDS:
            self._last_update = now
            return True
        return False

    def item_done(
        self, item_id: int, status: ItemStatus = ItemStatus.DONE, error: str | None = None
    ) -> None:
        self.queue.finish_item(self.job, item_id, status, error, announce=self._due(False))

    def publish(self, type_: str, data: dict[str, Any], channel: str = "jobs") -> None:
        """Publish an event of the handler's own, such as `item` for one photo's new statuses."""
        publish(self.runtime.db, channel, type_, {"job_id": self.job.id, **data})

    def progress(self, done: int, total: int) -> None:
        """Report progress of a job without items."""
        self.queue.set_progress(self.job, done, total, announce=self._due(done >= total))
