"""What a handler gets: its job, the application's parts, progress reporting and cancellation.

A handler learns that it must stop from `check_canceled` (a cancel, the worker stopping, the lease
lost) and from every write it makes through the context: once the queue no longer knows this worker
as the job's holder, `add_items`, `item_done` and `progress` raise `JobLost` instead of writing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from contactsheet.db.enums import ItemStatus
from contactsheet.jobs.events import publish

if TYPE_CHECKING:
    from contactsheet.jobs.leases import ClaimedJob
    from contactsheet.jobs.queue import JobQueue
    from contactsheet.runtime import Runtime

# Progress events are published at most this often per job, and always for the last item.
UPDATE_INTERVAL_SECONDS = 0.25

ItemKey = tuple[int | None, str | None]  # an item's photo id and name


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
        # Items an earlier run of this job finished before it was handed back on a shutdown.
        self.finished_before: set[int] = set()
        self._earlier: dict[ItemKey, deque[tuple[int, ItemStatus]]] | None = None
        self._last_update = 0.0

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    def check_lost(self) -> None:
        """Raises when the job is no longer this worker's: nothing more may be done for it."""
        if self.lost.is_set():
            raise JobLost(f"job {self.job.id} was taken over after a missed heartbeat")

    def _lose(self) -> None:
        self.lost.set()
        self.check_lost()

    def check_canceled(self) -> None:
        """Call between items: raises when the job must stop now."""
        self.check_lost()
        if self.cancel_requested.is_set():
            raise JobCanceled(f"job {self.job.id} was canceled")
        if self.stopping.is_set():
            raise WorkerStopping(f"worker stopping; job {self.job.id} goes back to the queue")

    def add_items(self, items: Sequence[ItemKey]) -> list[int]:
        """Record the job's items (photo id, name) as pending; returns their ids in order.

        A job handed back on a shutdown and claimed again gets the items its earlier run
        recorded, matched by photo id and name, instead of new ones; those that run ended are
        in `finished_before`, and the handler skips them.
        """
        if self._earlier is None:
            self._earlier = {}
            for item_id, photo_id, name, status in self.queue.items_of(self.job):
                self._earlier.setdefault((photo_id, name), deque()).append((item_id, status))
        ids: list[int | None] = []
        new: list[ItemKey] = []
        for key in items:
            earlier = self._earlier.get(key)
            if earlier:
                item_id, status = earlier.popleft()
                if status != ItemStatus.PENDING:
                    self.finished_before.add(item_id)
                ids.append(item_id)
            else:
                ids.append(None)
                new.append(key)
        added = self.queue.add_items(self.job, new) if new else []
        if added is None:
            self._lose()
        fresh = iter(added or [])
        return [item_id if item_id is not None else next(fresh) for item_id in ids]

    def _due(self, last: bool) -> bool:
        now = time.monotonic()
        if last or now - self._last_update >= UPDATE_INTERVAL_SECONDS:
            self._last_update = now
            return True
        return False

    def item_done(
        self,
        item_id: int,
        status: ItemStatus = ItemStatus.DONE,
        error: str | None = None,
        *,
        event: dict[str, Any] | None = None,
    ) -> None:
        """Mark one item; `event` is published as its `item` event together with the mark (so a
        job that is no longer ours announces nothing either)."""
        done = self.queue.finish_item(
            self.job, item_id, status, error, announce=self._due(False), event=event
        )
        if done is None:
            self._lose()

    def publish(self, type_: str, data: dict[str, Any], channel: str = "jobs") -> None:
        """Publish an event of the handler's own, such as `item` for one photo's new statuses."""
        publish(self.runtime.db, channel, type_, {"job_id": self.job.id, **data})

    def report(
        self, found: dict[str, int], changed: dict[str, int], **details: Any
    ) -> dict[str, Any]:
        """A step's result: counts of what it found and of what it changed (both zero on a
        healthy library), then its details. The counts are announced as a `step_report`
        event, so a client sees what each step of a maintenance run did as it happens."""
        self.publish(
            "step_report",
            {
                "step": self.job.type,
                "task_id": self.job.task_id,
                "project_id": self.job.project_id,
                "found": found,
                "changed": changed,
            },
        )
        return {"found": found, "changed": changed, **details}

    def progress(self, done: int, total: int) -> None:
        """Report progress of a job without items."""
        if not self.queue.set_progress(self.job, done, total, announce=self._due(done >= total)):
            self._lose()
