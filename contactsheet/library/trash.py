"""A project's `.trash`: files the app removes go here with a record of where they came from and
when, so they can be restored for 24 h and are purged by the time they were trashed, never by their
own modification time (SPEC §13)."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.tables import TrashEntry
from contactsheet.library.paths import LibraryPaths


def record_trash(
    session: Session,
    paths: LibraryPaths,
    *,
    tenant: str,
    project_id: int,
    folder: str,
    source: Path,
    reason: str,
) -> Path:
    """Record that `source` goes to the project's `.trash`; returns where. Moves nothing: commit
    the record first, then move, so a crash never leaves a trashed file nobody knows about."""
    source = paths.confine(source)
    trash_dir = paths.trash_dir(folder)
    trash_dir.mkdir(exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = paths.child(trash_dir, f"{stamp}-{secrets.token_hex(3)}-{source.name}")
    session.add(
        TrashEntry(
            tenant=tenant,
            project_id=project_id,
            original_path=str(source.relative_to(paths.root)),
            trash_path=str(target.relative_to(paths.root)),
            size=source.stat().st_size,
            reason=reason,
        )
    )
    session.flush()
    return target


def trash_file(
    session: Session,
    paths: LibraryPaths,
    *,
    tenant: str,
    project_id: int,
    folder: str,
    source: Path,
    reason: str,
) -> Path:
    """Record and move at once, inside the caller's transaction."""
    target = record_trash(
        session,
        paths,
        tenant=tenant,
        project_id=project_id,
        folder=folder,
        source=source,
        reason=reason,
    )
    source.rename(target)
    return target
