"""The command groups and the consoles every command prints to."""

from __future__ import annotations

import typer
from rich.console import Console

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
derivatives_app = typer.Typer(help="Thumbnails and previews.", no_args_is_help=True)
trash_app = typer.Typer(
    help="Files and projects removed in the last 24 hours.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(jobs_app, name="jobs")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(derivatives_app, name="derivatives")
app.add_typer(trash_app, name="trash")

console = Console()
err_console = Console(stderr=True)
