"""Findings: problems a maintenance step saw and would not fix by force (docs/maintenance.md).

A step reports everything of its kind that it saw in one run; `sync_findings` opens what is new,
touches what is still there and resolves what the step no longer sees, within the run's scope (one
project, or the whole library). So a finding stays visible exactly as long as its cause does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.tables import Finding, Project


@dataclass(frozen=True)
class Seen:
    """One problem as a step saw it in this run."""

    kind: str
    subject: str
    message: str
    project_id: int | None = None


@dataclass(frozen=True)
class FindingView:
    id: int
    step: str
    kind: str
    project_id: int | None
    project: str | None
    subject: str
    message: str
    first_seen_at: datetime
    last_seen_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": self.step,
            "kind": self.kind,
            "project_id": self.project_id,
            "project": self.project,
            "subject": self.subject,
            "message": self.message,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
        }


def _key(step: str, seen: Seen) -> str:
    return f"{step}\x1f{seen.kind}\x1f{seen.project_id or ''}\x1f{seen.subject}"


def sync_findings(
    session: Session, tenant: str, step: str, seen: list[Seen], *, project_id: int | None
) -> dict[str, int]:
    """Record what `step` saw in a run over `project_id` (None: every project); returns how
    many findings were opened and resolved."""
    now = utcnow()
    query = select(Finding).where(
        Finding.tenant == tenant, Finding.step == step, Finding.resolved_at.is_(None)
    )
    if project_id is not None:
        query = query.where(Finding.project_id == project_id)
    open_rows = {row.key: row for row in session.scalars(query)}
    opened = 0
    for item in seen:
        key = _key(step, item)
        row = open_rows.pop(key, None)
        if row is not None:
            row.last_seen_at, row.message = now, item.message
            continue
        session.add(
            Finding(
                tenant=tenant,
                project_id=item.project_id,
                step=step,
                kind=item.kind,
                subject=item.subject[:1024],
                key=key,
                message=item.message,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        opened += 1
        open_rows.pop(key, None)
    for row in open_rows.values():
        row.resolved_at = now
    session.flush()
    return {"findings_opened": opened, "findings_resolved": len(open_rows)}


def open_findings(db: Database, tenant: str, project_id: int | None = None) -> list[FindingView]:
    """The findings still open, oldest first."""
    query = (
        select(Finding, Project.folder)
        .outerjoin(Project, Project.id == Finding.project_id)
        .where(Finding.tenant == tenant, Finding.resolved_at.is_(None))
        .order_by(Finding.id)
    )
    if project_id is not None:
        query = query.where(Finding.project_id == project_id)
    with db.read() as session:
        return [
            FindingView(
                id=row.id,
                step=row.step,
                kind=row.kind,
                project_id=row.project_id,
                project=folder,
                subject=row.subject,
                message=row.message,
                first_seen_at=row.first_seen_at,
                last_seen_at=row.last_seen_at,
            )
            for row, folder in session.execute(query)
        ]
