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


def trash_file(
    session: Session,
    paths: LibraryPaths,
    *,
    tenant: str,
    project_id: int,
    folder: str,
    source: Path,
    reason: str,
) -> TrashEntry:
    """Move `source` (inside the project folder) into its `.trash`, recorded in the session."""
    source = paths.confine(source)
    trash_dir = paths.trash_dir(folder)
    trash_dir.mkdir(exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = paths.child(trash_dir, f"{stamp}-{secrets.token_hex(3)}-{source.name}")
    size = source.stat().st_size
    entry = TrashEntry(
        tenant=tenant,
        project_id=project_id,
        original_path=str(source.relative_to(paths.root)),
        trash_path=str(target.relative_to(paths.root)),
        size=size,
        reason=reason,
    )
    session.add(entry)
    session.flush()
    source.rename(target)
    return entry
