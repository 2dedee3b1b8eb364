"""`job_retention`: ended tasks and jobs older than `job_retention_days` are deleted, and events
older than a day (resumption never needs more)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contactsheet.jobs.events import prune_events
from contactsheet.workers.context import JobContext


def job_retention(context: JobContext) -> dict[str, Any]:
    days = context.runtime.settings.pipeline.job_retention_days
    removed = context.queue.prune_finished(timedelta(days=days))
    events = prune_events(context.runtime.db)
    return context.report(
        found={"expired": removed + events},
        changed={"tasks_and_jobs_deleted": removed, "events_deleted": events},
        tasks_and_jobs_deleted=removed,
        events_deleted=events,
    )
