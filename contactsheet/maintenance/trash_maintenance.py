"""`trash_maintenance`: files in projects' `.trash` are purged 24 h after they were trashed,
counted from the recorded time, never from the file's own modification time (an old
original trashed today must survive a day like any other)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from contactsheet.clock import utcnow
from contactsheet.db.enums import FOLDER_REASONS, ProjectStatus
from contactsheet.db.tables import Project, TrashEntry
from contactsheet.errors import UnsafePath
from contactsheet.library.paths import LibraryPaths
from contactsheet.library.trash import locate
from contactsheet.workers.context import JobContext

KEEP_TRASHED = timedelta(hours=24)
CHUNK = 500


def trash_maintenance(context: JobContext) -> dict[str, Any]:
    """Purge what is due. An entry is marked purged only once its file is deleted, or known to
    be gone: never while the file may be somewhere the entry can still lead to (its project's
    folder renamed by hand and not yet followed, an unplugged disk, a deleted project whose
    folder may be restored)."""
    runtime = context.runtime
    cutoff = utcnow() - KEEP_TRASHED
    purged = already_gone = waiting = refused = 0
    last = 0
    while True:
        context.check_canceled()
        with runtime.db.read() as session:
            rows = list(
                session.execute(
                    select(TrashEntry, Project)
                    .outerjoin(Project, Project.id == TrashEntry.project_id)
                    .where(
                        TrashEntry.id > last,
                        TrashEntry.tenant == runtime.tenant,
                        # whole project folders: project_scavenge purges those
                        TrashEntry.reason.not_in(FOLDER_REASONS),
                        TrashEntry.purged_at.is_(None),
                        TrashEntry.restored_at.is_(None),
                        TrashEntry.trashed_at < cutoff,
                    )
                    .order_by(TrashEntry.id)
                    .limit(CHUNK)
                )
            )
        if not rows:
            break
        last = rows[-1][0].id
        done = []
        for entry, project in rows:
            outcome = _purge_one(runtime.paths, entry, project)
            if outcome == "purged":
                purged += 1
            elif outcome == "gone":
                already_gone += 1
            elif outcome == "waiting":
                waiting += 1
            else:
                refused += 1
            if outcome in ("purged", "gone"):
                done.append(entry.id)
        with runtime.db.write() as session:
            for row in session.scalars(select(TrashEntry).where(TrashEntry.id.in_(done))):
                row.purged_at = utcnow()
    return context.report(
        found={"due": purged + already_gone + waiting + refused, "waiting": waiting},
        changed={"purged": purged, "records_closed": purged + already_gone},
        purged=purged,
        already_gone=already_gone,
        waiting=waiting,
        refused=refused,
    )


def _purge_one(paths: LibraryPaths, entry: TrashEntry, project: Project | None) -> str:
    """ "purged", "gone" (nothing left to delete), "waiting" (ask again later) or "refused"."""
    if project is not None and project.status != ProjectStatus.ACTIVE:
        # The file left with its deleted project's folder; that folder's purge settles it.
        return "waiting"
    folder = project.folder if project is not None else None
    try:
        place = locate(paths, entry, folder)
    except UnsafePath:
        return "refused"  # a record or a folder that leads out of the library or through a link
    found = next((p for p in place.candidates if p.is_file() and not p.is_symlink()), None)
    if found is not None:
        found.unlink()
        return "purged"
    if project is not None and not place.project_dir.is_dir():
        return "waiting"  # the folder is elsewhere for now: discovery will follow it
    return "gone"
