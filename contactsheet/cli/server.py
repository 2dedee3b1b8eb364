"""Running the app: the server, a worker, the schema upgrade and the admin password."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.panel import Panel

from contactsheet.cli import session
from contactsheet.cli.app import admin_app, app, console, db_app


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

    settings = session.load(host=host, port=port)
    with session.opened(settings) as runtime:
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

    with session.opened() as runtime:
        pipeline = Pipeline(runtime, workers=True, scheduler=scheduler)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        pipeline.start()
        name = pipeline.runner.name if pipeline.runner else "?"
        console.print(
            f"Worker [bold]{name}[/bold] running on {runtime.db.dialect}; Ctrl-C stops it."
        )
        stop.wait()
        console.print("Stopping: running jobs are released back to the queue…")
        pipeline.stop()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (serve does this by itself)."""
    from contactsheet.db import Database
    from contactsheet.db.migrate import current_revision, upgrade

    db = Database(session.load().resolved_database_url)
    try:
        upgrade(db)
        console.print(f"Database at revision [bold]{current_revision(db)}[/bold] ({db.dialect}).")
    finally:
        db.dispose()


@admin_app.command("set-password")
def admin_set_password(
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Set the admin password and end every open session."""
    from contactsheet.auth.sessions import change_admin_password

    settings = session.load()
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    with session.opened(settings, exit_code=session.FAILED) as runtime:
        try:
            ended = change_admin_password(runtime.db, password)
        except ValueError as exc:
            session.fail(str(exc), session.FAILED, exc)
    console.print(f"Admin password changed; {ended} open session(s) ended.")
