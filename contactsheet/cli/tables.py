"""The tables commands print: jobs with their progress, and what an import did to each file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table

from contactsheet.db.enums import FileOutcome
from contactsheet.jobs.views import JobView

if TYPE_CHECKING:
    from contactsheet.catalog.trash import TrashItem
    from contactsheet.ingest.importer import ImportReport
    from contactsheet.maintenance.check import CheckReport

IMPORT_ROWS = 1000


def job_table(jobs: Iterable[JobView]) -> Table:
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


def import_tables(report: ImportReport, *, moved: bool) -> Group:
    """The summary by result and class, then each file: its class, result, stored name or why."""
    summary = Table("result", "files", title=f"Imported into {report.project_folder}")
    for outcome in FileOutcome:
        summary.add_row(outcome.value, str(report.count(outcome)))
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


def trash_table(items: Iterable[TrashItem]) -> Table:
    table = Table("id", "trashed at (UTC)", "reason", "size", "was")
    for item in items:
        kind = " (project)" if item.is_project else ""
        table.add_row(
            str(item.id),
            _minute(item.trashed_at),
            item.reason + kind,
            str(item.size),
            item.original_path,
        )
    return table


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def check_tables(report: CheckReport) -> Group:
    """What `check` found: a summary, then each problem (errors first) and each finding."""
    parts: list[Table | str] = []
    findings = f", {len(report.findings)} open finding(s)" if report.findings else ""
    summary = "[green]clean[/green]" if report.clean else f"[red]{report.errors} error(s)[/red]"
    summary += findings
    checked = ", ".join(f"{v} {k}" for k, v in report.checked.items())
    parts.append(f"Checked {checked} in {report.seconds:.1f} s: {summary}")
    listed = report.as_dict()["problems"]
    if listed:
        table = Table("severity", "kind", "project", "subject", "what")
        table.columns[1].no_wrap = True
        for problem in sorted(listed, key=lambda p: (p["severity"] != "error", p["kind"])):
            style = "red" if problem["severity"] == "error" else "dim"
            table.add_row(
                f"[{style}]{problem['severity']}[/{style}]",
                problem["kind"],
                problem["project"] or "",
                problem["subject"],
                problem["message"],
            )
        parts.append(table)
    if report.findings:
        table = Table("finding", "step", "project", "subject", "since", "what")
        for finding in report.findings:
            table.add_row(
                finding.kind,
                finding.step,
                finding.project or "",
                finding.subject,
                _minute(finding.first_seen_at),
                finding.message,
            )
        parts.append(table)
    return Group(*parts)
