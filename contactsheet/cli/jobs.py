"""Background work from the terminal: the job list, cancel and retry, and running maintenance or
derivative generation here to its end with a progress bar."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table

from contactsheet.cli import session
from contactsheet.cli.app import console, derivatives_app, jobs_app, maintenance_app
from contactsheet.cli.tables import job_table
from contactsheet.jobs.views import JobView


@jobs_app.command("list")
def jobs_list(
    status: Annotated[list[str] | None, typer.Option(help="Filter by status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
) -> None:
    """The newest jobs."""
    from contactsheet.db.enums import JobStatus

    try:
        statuses = [JobStatus(s) for s in status or []]
    except ValueError as exc:
        known = [s.value for s in JobStatus]
        session.fail(f"Unknown status; use one of {known}", session.CANNOT_RUN, exc)
    with session.opened() as runtime:
        console.print(job_table(runtime.queue.list_jobs(statuses=statuses, limit=limit)))


@jobs_app.command("cancel")
def jobs_cancel(job_id: int) -> None:
    """Cancel a queued job, or ask a running one to stop between items."""
    with session.opened(exit_code=session.FAILED) as runtime:
        _print_job(runtime.queue.request_cancel(job_id))


@jobs_app.command("retry")
def jobs_retry(job_id: int) -> None:
    """Queue a failed or canceled job again (its task goes on from there)."""
    with session.opened(exit_code=session.FAILED) as runtime:
        _print_job(runtime.queue.retry(job_id))


def _print_job(job: JobView) -> None:
    requested = " (cancel requested)" if job.cancel_requested else ""
    console.print(f"Job {job.id}: {job.status}{requested}")


@maintenance_app.command("run")
def maintenance_run(
    task: Annotated[
        str, typer.Argument(help="maintenance_global, maintenance (with --project), …")
    ] = "maintenance_global",
    project: Annotated[str | None, typer.Option(help="Project folder (for `maintenance`).")] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 3600,
) -> None:
    """Run a maintenance task to completion here, with a progress bar."""
    from contactsheet.catalog.task_requests import start_maintenance
    from contactsheet.cli.progress import run_task_to_completion
    from contactsheet.handlers import default_registry

    with session.opened() as runtime:
        registry = default_registry(runtime.settings.pipeline)
        job = start_maintenance(runtime, registry, task, project)
        jobs = run_task_to_completion(runtime, registry, job.task_id, console, timeout=timeout)
    console.print(job_table(jobs))
    results = Table("step", "result")
    for finished in jobs:
        results.add_row(finished.type, json.dumps(finished.result or {}, default=str))
    console.print(results)
    _exit_unless_completed(jobs)


@derivatives_app.command("regenerate")
def derivatives_regenerate(
    project: Annotated[
        str | None, typer.Option(help="Project folder; default: every project.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Remake even valid derivatives (ignore the cache).")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 24 * 3600,
) -> None:
    """Bring thumbnails and previews up to date here, with a progress bar."""
    from contactsheet.cli.progress import run_task_to_completion
    from contactsheet.derivatives.requests import projects_to_regenerate, start_project_generation
    from contactsheet.handlers import default_registry

    all_jobs: list[JobView] = []
    with session.opened() as runtime:
        registry = default_registry(runtime.settings.pipeline)
        for folder, project_id in projects_to_regenerate(runtime, project):
            job = start_project_generation(runtime, project_id, force=force)
            console.print(f"[bold]{folder}[/bold]")
            all_jobs += run_task_to_completion(
                runtime, registry, job.task_id, console, timeout=timeout
            )
    console.print(job_table(all_jobs))
    totals: dict[str, int] = {}
    for finished in all_jobs:
        for key, value in (finished.result or {}).items():
            totals[key] = totals.get(key, 0) + int(value)
    console.print(", ".join(f"{k}: {v}" for k, v in totals.items()) or "nothing to do")
    _exit_unless_completed(all_jobs)


def _exit_unless_completed(jobs: Sequence[JobView]) -> None:
    if any(job.status != "completed" for job in jobs):
        raise typer.Exit(session.FAILED)
