"""`trash_maintenance`: files in projects' `.trash` are purged 24 h after they were trashed,
counted from the recorded time, never from the file's own modification time (SPEC §13: an old
original trashed today must survive a day like any other)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from contactsheet.catalog.project_delete import TRASH_REASON
from contactsheet.clock import utcnow
from contactsheet.db.tables import TrashEntry
from contactsheet.jobs.context import JobContext
from contactsheet.maintenance.project_scavenge import SCAVENGE_REASON

KEEP_TRASHED = timedelta(hours=24)
# Whole project folders are purged by project_scavenge, from outside the library.
FOLDER_REASONS = (TRASH_REASON, SCAVENGE_REASON)
CHUNK = 500


def trash_maintenance(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    cutoff = utcnow() - KEEP_TRASHED
    purged = already_gone = 0
    last = 0
    while True:
        context.check_canceled()
        with runtime.db.read() as session:
            entries = list(
                session.scalars(
                    select(TrashEntry)
                    .where(
                        TrashEntry.id > last,
                        TrashEntry.tenant == runtime.tenant,
                        TrashEntry.reason.not_in(FOLDER_REASONS),
                        TrashEntry.purged_at.is_(None),
                        TrashEntry.restored_at.is_(None),
                        TrashEntry.trashed_at < cutoff,
                    )
                    .order_by(TrashEntry.id)
                    .limit(CHUNK)
                )
            )
        if not entries:
            break
        last = entries[-1].id
        done = []
        for entry in entries:
            path = runtime.paths.confine(runtime.paths.root / entry.trash_path)
            if ".trash" not in path.parts:
                continue  # only ever delete inside a trash folder
            if path.exists():
                path.unlink()
                purged += 1
            else:
                already_gone += 1
            done.append(entry.id)
        with runtime.db.write() as session:
            for row in session.scalars(select(TrashEntry).where(TrashEntry.id.in_(done))):
                row.purged_at = utcnow()
    return {"purged": purged, "already_gone": already_gone}
