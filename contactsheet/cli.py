"""The command line. Thin: it parses, then hands over to the application's modules."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from contactsheet.config import Settings, load_settings
from contactsheet.logs import configure_logging

app = typer.Typer(
    name="contactsheet",
    help="Contact Sheet: a self-hosted photo manager for photographers.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="The admin account.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")

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
    import uvicorn

    from contactsheet.app import create_app
    from contactsheet.auth.bootstrap import ensure_admin_password
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
    uvicorn.run(
        create_app(runtime),
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
