"""What every command does around its work: load the settings, open the application, turn a
domain error into a red line and an exit code, and close what it opened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

from contactsheet.cli.app import err_console
from contactsheet.config import Settings, load_settings
from contactsheet.errors import ContactSheetError
from contactsheet.logs import configure_logging

if TYPE_CHECKING:
    from contactsheet.runtime import Runtime

# Exit codes: 1 when the command ran and some of its work failed, 2 when it could not run at all.
FAILED = 1
CANNOT_RUN = 2


def load(**overrides: object) -> Settings:
    """The settings, with the command's options over them; a bad configuration exits 2."""
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except Exception as exc:
        err_console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(CANNOT_RUN) from exc
    configure_logging(settings.log_level, settings.log_format)
    return settings


@contextmanager
def opened(settings: Settings | None = None, *, exit_code: int = CANNOT_RUN) -> Iterator[Runtime]:
    """The running application for one command, closed at its end. A domain error raised inside
    (no such project, a job that cannot be retried) is printed and exits with `exit_code`."""
    from contactsheet.runtime import open_runtime

    runtime = open_runtime(settings or load())
    try:
        yield runtime
    except ContactSheetError as exc:
        fail(exc.message, exit_code, exc)
    finally:
        runtime.close()


def fail(message: str, exit_code: int, cause: BaseException | None = None) -> NoReturn:
    err_console.print(f"[red]{message}[/red]")
    raise typer.Exit(exit_code) from cause
