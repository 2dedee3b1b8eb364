"""The job queue: the only code that writes jobs, job items and tasks.

`JobQueue` is its face; the modules beside it are its parts, one concern each: queuing and
de-duplication (`enqueue.py`), claims and leases (`leases.py`), items and progress
(`progress.py`), how jobs end and tasks go on (`completion.py`), users' commands (`commands.py`),
retention (`retention.py`) and read models (`views.py`). Nothing else writes those rows.

Every state change happens in one transaction together with the event that announces it. A job
leaves `running` only through the worker that holds it (matched by worker id and attempt), so a
worker that was presumed dead and comes back cannot overwrite what happened since (docs/jobs.md,
"Lost lease").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from contactsheet.config import PipelineSettings
from contactsheet.db import Database
from contactsheet.db.enums import ItemStatus, JobStatus, TaskStatus
from contactsheet.db.tables import Job
from contactsheet.jobs import commands, completion, enqueue, leases, progress, retention, views
from contactsheet.jobs.completion import Outcome
from contactsheet.jobs.leases import ClaimedJob
from contactsheet.jobs.queue_core import QueueCore
from contactsheet.jobs.tasks import TaskDefinition
from contactsheet.jobs.views import JobView


class JobQueue:
    def __init__(
        self,
        db: Database,
        config: PipelineSettings,
        catalogue: dict[str, TaskDefinition],
        tenant: str,
    ) -> None:
        self._core = QueueCore(db, config, catalogue, tenant)

    @property
    def db(self) -> Database:
        return self._core.db

    @property
    def config(self) -> PipelineSettings:
        return self._core.config

    @property
    def catalogue(self) -> dict[str, TaskDefinition]:
        return self._core.catalogue

    @property
    def tenant(self) -> str:
        return self._core.tenant

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call `listener` after any transaction that queued work commits (wakes idle workers)."""
        self._core.listeners.append(listener)

    def backoff(self, attempt: int) -> timedelta:
        return self._core.backoff(attempt)

    def definition(self, task_type: str) -> TaskDefinition:
        return self._core.definition(task_type)

    # -- starting work --------------------------------------------------------------------------

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
        return enqueue.start_task(
            self._core,
            session,
            task_type,
            project_id=project_id,
            payload=payload,
            origin=origin,
            dedup=dedup,
        )

    def start_or_join(
        self,
        session: Session,
        task_type: str,
        *,
        project_id: int,
        photo_ids: list[int],
        origin: str = "user",
    ) -> Job:
        """Queue the task for these photos, or add them to the project's run of it that no
        worker has started yet; returns the job that will do them."""
        return enqueue.start_or_join(
            self._core,
            session,
            task_type,
            project_id=project_id,
            photo_ids=photo_ids,
            origin=origin,
            most=self.config.batch_photos,
        )

    def start_debounced(
        self, session: Session, task_type: str, *, project_id: int, origin: str = "system"
    ) -> Job:
        """Queue the project's task to run once the project has been quiet for
        `reconcile_delay_seconds`; asking again meanwhile pushes the same run back."""
        return enqueue.start_debounced(
            self._core,
            session,
            task_type,
            project_id=project_id,
            delay=timedelta(seconds=self.config.reconcile_delay_seconds),
            longest=timedelta(seconds=self.config.reconcile_longest_seconds),
            origin=origin,
        )

    # -- claiming and holding -------------------------------------------------------------------

    def claim(self, worker_id: str, *, min_priority: int = 0) -> ClaimedJob | None:
        """Take the best runnable job (priority, then age) for `worker_id`, or None.

        One statement: on PostgreSQL the candidate row is locked with SKIP LOCKED, so concurrent
        workers each get a different job; on SQLite the writer lock serialises claims.
        """
        return leases.claim(self._core.db, worker_id, min_priority=min_priority)

    def heartbeat(self, held: Sequence[ClaimedJob]) -> dict[int, bool | None]:
        """Refresh the heartbeats of `held`; per job: cancel requested, or None when lost."""
        return leases.heartbeat(self._core.db, held)

    def requeue_stale(self) -> list[int]:
        """Put running jobs whose worker stopped beating back in the queue, counting the attempt."""
        return completion.requeue_stale(self._core)

    # -- progress -------------------------------------------------------------------------------

    def items_of(self, held: ClaimedJob) -> list[tuple[int, int | None, str | None, ItemStatus]]:
        """The items already recorded for the job (id, photo id, name, status), oldest first: a
        job handed back on a shutdown keeps them, and its next run resumes from them."""
        return progress.items_of(self._core.db, held)

    def add_items(
        self, held: ClaimedJob, items: Sequence[tuple[int | None, str | None]]
    ) -> list[int] | None:
        """Record items (photo id, name) as pending; their ids in order, None if the job is lost."""
        return progress.add_items(self._core.db, held, items)

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
        return progress.finish_item(
            self._core.db, held, item_id, status, error, announce=announce, event=event
        )

    def set_progress(self, held: ClaimedJob, done: int, total: int, *, announce: bool) -> bool:
        """Report progress of a job without items; False if the job is no longer `held`'s."""
        return progress.set_progress(self._core.db, held, done, total, announce=announce)

    # -- ending ---------------------------------------------------------------------------------

    def complete(self, held: ClaimedJob, result: dict[str, Any]) -> Outcome:
        """The handler returned. A cancel requested meanwhile still wins: the task stops."""
        return completion.complete(self._core, held, result)

    def fail(self, held: ClaimedJob, error: str, *, permanent: bool = False) -> Outcome:
        """The handler raised: retry later with backoff, or fail for good after the last attempt."""
        return completion.fail(self._core, held, error, permanent=permanent)

    def canceled(self, held: ClaimedJob) -> Outcome:
        """The handler stopped because a cancel was requested."""
        return completion.canceled(self._core, held)

    def release(self, held: ClaimedJob) -> Outcome:
        """Give a job back on shutdown, without counting the attempt it did not finish. Its items
        and progress stay: the next run skips the items this one finished."""
        return completion.release(self._core, held)

    # -- what users ask for ---------------------------------------------------------------------

    def request_cancel(self, job_id: int) -> JobView:
        """Cancel a queued job now; ask a running one to stop between items. Returns the job as
        it is then, with its item counts."""
        return commands.request_cancel(self._core, job_id)

    def cancel_project_jobs(self, project_id: int, *, except_task: int | None) -> list[int]:
        """Cancel every unfinished job of a project but those of `except_task`; returns ids."""
        return commands.cancel_project_jobs(self._core, project_id, except_task=except_task)

    def retry(self, job_id: int) -> JobView:
        """Run a failed or canceled step again; its task resumes from that step. Returns the
        new job."""
        return commands.retry(self._core, job_id)

    def prune_finished(self, older_than: timedelta) -> int:
        """Delete ended tasks (with their jobs and items) and lone ended jobs older than this."""
        return retention.prune_finished(self._core.db, older_than)

    # -- reading --------------------------------------------------------------------------------

    def get(self, job_id: int) -> tuple[Job, dict[str, int]]:
        """The job row and its item counts by status."""
        return views.get(self._core.db, job_id)

    def view(self, job_id: int) -> JobView:
        """The job as users see it, with its item counts by status."""
        return views.view(self._core.db, job_id)

    def list_jobs(
        self,
        *,
        statuses: Sequence[JobStatus] = (),
        types: Sequence[str] = (),
        project_id: int | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[JobView]:
        """Newest first; page backwards with `before_id`."""
        return views.list_jobs(
            self._core.db,
            statuses=statuses,
            types=types,
            project_id=project_id,
            before_id=before_id,
            limit=limit,
        )

    def running_jobs_of_project(self, project_id: int, *, except_task: int | None) -> int:
        return views.running_jobs_of_project(self._core.db, project_id, except_task=except_task)

    def task_status(self, task_id: int) -> tuple[TaskStatus, JobView | None]:
        """The task's status and its newest job (for progress)."""
        return views.task_status(self._core.db, task_id)

    def task_jobs(self, task_id: int) -> list[JobView]:
        """Every job of a task, its steps in order (retries included)."""
        return views.task_jobs(self._core.db, task_id)
