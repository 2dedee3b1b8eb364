"""Run one task to its end in this process, showing its progress as a bar in the terminal."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from contactsheet.db.enums import TaskStatus
from contactsheet.jobs.views import JobView
from contactsheet.runtime import Runtime
from contactsheet.workers.registry import Registry
from contactsheet.workers.runner import Runner


def run_task_to_completion(
    runtime: Runtime, registry: Registry, task_id: int | None, console: Console, *, timeout: float
) -> list[JobView]:
    """Start a runner here, follow the task until it ends, and return its jobs in order.

    Other workers (a running server) may take some of its steps; the bar follows them all.
    """
    runner = Runner(runtime, runtime.queue, registry)
    runner.start()
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            row = bar.add_task("starting", total=None)
            while True:
                status, job = runtime.queue.task_status(task_id) if task_id else (None, None)
                if job is not None:
                    total = job.progress_total or None
                    bar.update(
                        row,
                        description=f"step {job.step_index + 1}: {job.type} ({job.status})",
                        completed=job.progress_done,
                        total=total,
                    )
                if status != TaskStatus.RUNNING:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"task {task_id} did not finish in {timeout} s")
                time.sleep(0.2)
    finally:
        runner.stop()
    return runtime.queue.task_jobs(task_id) if task_id is not None else []
