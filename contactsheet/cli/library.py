"""The photo library from the terminal: importing a folder, the trash, and `check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contactsheet.cli import session
from contactsheet.cli.app import app, console, err_console, trash_app
from contactsheet.cli.tables import check_tables, import_tables, trash_table


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

    from contactsheet.db.enums import FileOutcome
    from contactsheet.errors import ContactSheetError
    from contactsheet.ingest.importer import import_path, walk
    from contactsheet.ingest.outcomes import IngestOptions

    try:
        options = IngestOptions(
            on_name_taken=on_name_taken,
            import_anyway=import_anyway,
            move_conflicts_here=move_conflicts_here,
        )
    except ContactSheetError as exc:
        raise typer.BadParameter(exc.message, param_hint="--on-name-taken") from exc
    with session.opened() as runtime:
        files = list(walk(path))
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        )
        with Progress(*columns, console=console) as bar:
            by_files = bar.add_task("files", total=len(files))
            by_bytes = bar.add_task("bytes", total=sum(p.stat().st_size for p in files))

            def advance(_path: Path, size: int) -> None:
                bar.advance(by_files)
                bar.advance(by_bytes, size)

            report = import_path(
                runtime, path, project_name=project, move=move, options=options, on_file=advance
            )
    console.print(import_tables(report, moved=move))
    if report.count(FileOutcome.REJECTED):
        raise typer.Exit(session.FAILED)


@trash_app.command("list")
def trash_list(
    project: Annotated[str | None, typer.Option(help="Only this project folder.")] = None,
) -> None:
    """What is in the trash and can still be restored."""
    from contactsheet.catalog.projects import project_id_of
    from contactsheet.catalog.trash import list_trash

    with session.opened() as runtime:
        project_id = project_id_of(runtime.db, runtime.tenant, project) if project else None
        items = list_trash(runtime, project_id)
    console.print(trash_table(items))


@trash_app.command("restore")
def trash_restore(
    ids: Annotated[list[int], typer.Argument(help="Entry ids from `trash list`.")],
) -> None:
    """Put trashed files or deleted projects back; never overwrites anything."""
    from contactsheet.catalog.trash import restore
    from contactsheet.errors import ContactSheetError

    failed = False
    with session.opened() as runtime:
        for entry_id in ids:
            try:
                console.print(f"{entry_id}: restored to {restore(runtime, entry_id)}")
            except ContactSheetError as exc:
                failed = True
                err_console.print(f"[red]{entry_id}: {exc.message}[/red]")
    if failed:
        raise typer.Exit(session.FAILED)


@app.command("check")
def check_command(
    project: Annotated[str | None, typer.Option(help="Only this project (its folder).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Compare the catalog with the disk and change nothing: every disagreement, and the
    findings maintenance left for you. Exits 1 when there is an error; `contactsheet maintenance
    run` fixes what it can."""
    import json

    from contactsheet.maintenance.check import check_library

    with session.opened() as runtime:
        report = check_library(runtime, project)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        console.print(check_tables(report))
    if not report.clean:
        raise typer.Exit(session.FAILED)
