"""The command line. Thin: it parses, then hands over to the application's modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from contactsheet.config import Settings, load_settings
from contactsheet.logs import configure_logging

if TYPE_CHECKING:
    from contactsheet.ingest.importer import ImportReport

app = typer.Typer(
    name="contactsheet",
    help="Contact Sheet: a self-hosted photo manager for photographers.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="The admin account.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Library maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(jobs_app, name="jobs")
app.add_typer(maintenance_app, name="maintenance")
derivatives_app = typer.Typer(help="Thumbnails and previews.", no_args_is_help=True)
app.add_typer(derivatives_app, name="derivatives")
trash_app = typer.Typer(
    help="Files and projects removed in the last 24 hours.", no_args_is_help=True
)
app.add_typer(trash_app, name="trash")

console = Console()
err_console = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except Exception as exc:
        err_console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    configure_logging(settings.log_level, settings.log_format)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the server: API, web UI, and (unless disabled) background workers."""
    import signal

    import uvicorn

    from contactsheet.app import create_app
    from contactsheet.auth.bootstrap import ensure_admin_password
    from contactsheet.pipeline import Pipeline
    from contactsheet.runtime import open_runtime

    settings = _settings(host=host, port=port)
    runtime = open_runtime(settings)
    configured = settings.admin_password.get_secret_value() if settings.admin_password else None
    generated = ensure_admin_password(runtime.db, configured)
    lines = [
        f"Contact Sheet is starting at [bold]http://{settings.host}:{settings.port}/[/bold]",
        f"Data folder: {settings.data}",
        f"Database:    {runtime.db.dialect}",
    ]
    if generated:
        lines += [
            "",
            f"Admin login: user [bold]admin[/bold], password [yellow]{generated}[/yellow]",
            "This password is shown once. Change it with `contactsheet admin set-password`.",
        ]
    console.print(Panel("\n".join(lines), title="Contact Sheet", expand=False))
    pipeline = Pipeline.from_settings(runtime)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to whatever
    # handler was there before; a quiet one lets us close the database and exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(
        create_app(runtime, pipeline=pipeline),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
    )
    runtime.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (serve does this by itself)."""
    from contactsheet.db import Database
    from contactsheet.db.migrate import current_revision, upgrade

    settings = _settings()
    db = Database(settings.resolved_database_url)
    upgrade(db)
    console.print(f"Database at revision [bold]{current_revision(db)}[/bold] ({db.dialect}).")
    db.dispose()


@admin_app.command("set-password")
def admin_set_password(
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Set the admin password and end every open session."""
    from contactsheet.auth.passwords import set_password
    from contactsheet.auth.sessions import revoke_all
    from contactsheet.runtime import open_runtime

    settings = _settings()
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    runtime = open_runtime(settings)
    try:
        with runtime.db.write() as session:
            set_password(session, password)
        ended = revoke_all(runtime.db)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    console.print(f"Admin password changed; {ended} open session(s) ended.")


@app.command()
def worker(
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Also start periodic tasks.")
    ] = False,
) -> None:
    """Run job workers only (no web server); start as many as you like against one database."""
    import signal
    import threading

    from contactsheet.pipeline import Pipeline
    from contactsheet.runtime import open_runtime

    settings = _settings()
    runtime = open_runtime(settings)
    pipeline = Pipeline(runtime, workers=True, scheduler=scheduler)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pipeline.start()
    name = pipeline.runner.name if pipeline.runner else "?"
    console.print(f"Worker [bold]{name}[/bold] running on {runtime.db.dialect}; Ctrl-C stops it.")
    stop.wait()
    console.print("Stopping: running jobs are released back to the queue…")
    pipeline.stop()
    runtime.close()


def _job_table(jobs: list) -> Table:  # type: ignore[type-arg]
    table = Table("id", "task", "type", "status", "prio", "tries", "progress", "error")
    for job in jobs:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else ""
        table.add_row(
            str(job.id),
            str(job.task_id or ""),
            job.type,
            job.status,
            str(job.priority),
            f"{job.attempts}/{job.max_attempts}",
            progress,
            (job.last_error or "")[:60],
        )
    return table


@jobs_app.command("list")
def jobs_list(
    status: Annotated[list[str] | None, typer.Option(help="Filter by status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
) -> None:
    """The newest jobs."""
    from contactsheet.db.enums import JobStatus
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    try:
        statuses = [JobStatus(s) for s in status or []]
    except ValueError as exc:
        err_console.print(f"[red]Unknown status; use one of {[s.value for s in JobStatus]}[/red]")
        raise typer.Exit(2) from exc
    console.print(_job_table(runtime.queue.list_jobs(statuses=statuses, limit=limit)))
    runtime.close()


def _job_action(job_id: int, action: str) -> None:
    from contactsheet.errors import ContactSheetError
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    try:
        job = getattr(runtime.queue, action)(job_id)
    except ContactSheetError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    console.print(
        f"Job {job.id}: {job.status}{' (cancel requested)' if job.cancel_requested else ''}"
    )


@jobs_app.command("cancel")
def jobs_cancel(job_id: int) -> None:
    """Cancel a queued job, or ask a running one to stop between items."""
    _job_action(job_id, "request_cancel")


@jobs_app.command("retry")
def jobs_retry(job_id: int) -> None:
    """Queue a failed or canceled job again (its task goes on from there)."""
    _job_action(job_id, "retry")


@maintenance_app.command("run")
def maintenance_run(
    task: Annotated[str, typer.Argument(help="maintenance_global, maintenance, …")] = (
        "maintenance_global"
    ),
    project: Annotated[str | None, typer.Option(help="Project folder (for `maintenance`).")] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 3600,
) -> None:
    """Run a maintenance task to completion here, with a progress bar."""
    from contactsheet.catalog.projects import find_project
    from contactsheet.errors import ContactSheetError
    from contactsheet.handlers import default_registry
    from contactsheet.jobs.watch import run_task_to_completion
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    try:
        with runtime.db.write() as session:
            project_id = find_project(session, runtime.tenant, project).id if project else None
            job = runtime.queue.start_task(session, task, project_id=project_id, dedup=True)
        registry = default_registry(runtime.settings.pipeline)
        jobs = run_task_to_completion(runtime, registry, job.task_id, console, timeout=timeout)
    except ContactSheetError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    console.print(_job_table(jobs))
    results = Table("step", "result")
    for finished in jobs:
        results.add_row(finished.type, json.dumps(finished.result or {}, default=str))
    console.print(results)
    if any(j.status != "completed" for j in jobs):
        raise typer.Exit(1)


IMPORT_ROWS = 1000


def _import_tables(report: ImportReport, *, moved: bool) -> Group:
    """The summary by result and class, then each file: its class, result, stored name or why."""
    summary = Table("result", "files", title=f"Imported into {report.project_folder}")
    for status in ("stored", "skipped", "rejected"):
        summary.add_row(status, str(report.count(status)))
    classes: dict[str, int] = {}
    for item in report.files:
        classes[item.file_class or "-"] = classes.get(item.file_class or "-", 0) + 1
    for file_class, n in sorted(classes.items()):
        summary.add_row(f"  {file_class}", str(n))
    summary.add_row("ignored (not photos)", str(len(report.ignored)))
    if moved:
        summary.add_row("sources removed", str(report.moved_sources))
    details = Table("file", "class", "result", "stored as / why")
    for item in report.files[:IMPORT_ROWS]:
        why = item.stored_as or item.reason or (item.error or {}).get("message", "")
        details.add_row(item.name, item.file_class or "", item.status, why)
    if len(report.files) > IMPORT_ROWS:
        details.caption = f"and {len(report.files) - IMPORT_ROWS} more files"
    return Group(summary, details)


@app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(exists=True, help="A folder (searched recursively) or file.")
    ],
    project: Annotated[
        str | None, typer.Option(help="Project name; made if missing. Default: the folder's name.")
    ] = None,
    move: Annotated[
        bool, typer.Option("--move", help="Delete each source file once stored.")
    ] = False,
    on_name_taken: Annotated[
        str,
        typer.Option(
            help="A name taken by a different file: keep_both (the new one renamed), skip, or "
            "overwrite (the old file to trash)."
        ),
    ] = "keep_both",
    import_anyway: Annotated[
        bool,
        typer.Option(
            "--import-anyway", help="Store files identical to photos of other projects too."
        ),
    ] = False,
    move_conflicts_here: Annotated[
        bool,
        typer.Option(
            "--move-conflicts-here", help="Move same-named photos from other projects here."
        ),
    ] = False,
) -> None:
    """Import photos by the upload rules (docs/ingest.md), with a progress bar, then what
    happened to each file; exits 1 if any file was rejected."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    from contactsheet.errors import ContactSheetError
    from contactsheet.ingest.importer import import_path, walk
    from contactsheet.ingest.placement import IngestOptions
    from contactsheet.runtime import open_runtime

    try:
        options = IngestOptions(
            on_name_taken=on_name_taken,
            import_anyway=import_anyway,
            move_conflicts_here=move_conflicts_here,
        )
    except ContactSheetError as exc:
        raise typer.BadParameter(exc.message, param_hint="--on-name-taken") from exc
    runtime = open_runtime(_settings())
    files = list(walk(path))
    total_bytes = sum(p.stat().st_size for p in files)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
        ) as bar:
            by_files = bar.add_task("files", total=len(files))
            by_bytes = bar.add_task("bytes", total=total_bytes)

            def advance(_path: Path, size: int) -> None:
                bar.advance(by_files)
                bar.advance(by_bytes, size)

            report = import_path(
                runtime, path, project_name=project, move=move, options=options, on_file=advance
            )
    except ContactSheetError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    console.print(_import_tables(report, moved=move))
    if report.count("rejected"):
        raise typer.Exit(1)


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
    from sqlalchemy import select

    from contactsheet.catalog.projects import find_project
    from contactsheet.db.enums import ProjectStatus
    from contactsheet.db.tables import Project
    from contactsheet.errors import ContactSheetError
    from contactsheet.handlers import default_registry
    from contactsheet.jobs.watch import run_task_to_completion
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    registry = default_registry(runtime.settings.pipeline)
    all_jobs = []
    try:
        with runtime.db.read() as session:
            if project:
                projects = [find_project(session, runtime.tenant, project)]
            else:
                active = Project.status == ProjectStatus.ACTIVE
                projects = list(session.scalars(select(Project).where(active)))
        for target in projects:
            with runtime.db.write() as session:
                job = runtime.queue.start_task(
                    session,
                    "generate_derivatives",
                    project_id=target.id,
                    payload={"force": force},
                )
            console.print(f"[bold]{target.folder}[/bold]")
            all_jobs += run_task_to_completion(
                runtime, registry, job.task_id, console, timeout=timeout
            )
    except ContactSheetError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    console.print(_job_table(all_jobs))
    totals: dict[str, int] = {}
    for finished in all_jobs:
        for key, value in (finished.result or {}).items():
            totals[key] = totals.get(key, 0) + int(value)
    console.print(", ".join(f"{k}: {v}" for k, v in totals.items()) or "nothing to do")
    if any(j.status != "completed" for j in all_jobs):
        raise typer.Exit(1)


@trash_app.command("list")
def trash_list(
    project: Annotated[str | None, typer.Option(help="Only this project folder.")] = None,
) -> None:
    """What is in the trash and can still be restored."""
    from contactsheet.catalog.projects import find_project
    from contactsheet.catalog.trash import list_trash
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    try:
        project_id = None
        if project:
            with runtime.db.read() as session:
                project_id = find_project(session, runtime.tenant, project).id
        items = list_trash(runtime, project_id)
    finally:
        runtime.close()
    table = Table("id", "trashed at (UTC)", "reason", "size", "was")
    for item in items:
        kind = " (project)" if item.is_project else ""
        table.add_row(
            str(item.id),
            item.trashed_at.strftime("%Y-%m-%d %H:%M"),
            item.reason + kind,
            str(item.size),
            item.original_path,
        )
    console.print(table)


@trash_app.command("restore")
def trash_restore(
    ids: Annotated[list[int], typer.Argument(help="Entry ids from `trash list`.")],
) -> None:
    """Put trashed files or deleted projects back; never overwrites anything."""
    from contactsheet.catalog.trash import restore
    from contactsheet.errors import ContactSheetError
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(_settings())
    failed = False
    try:
        for entry_id in ids:
            try:
                console.print(f"{entry_id}: restored to {restore(runtime, entry_id)}")
            except ContactSheetError as exc:
                failed = True
                err_console.print(f"[red]{entry_id}: {exc.message}[/red]")
    finally:
        runtime.close()
    if failed:
        raise typer.Exit(1)
