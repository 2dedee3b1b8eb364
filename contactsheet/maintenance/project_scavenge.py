"""`project_scavenge`: archived projects' leftover folders leave the library, and deleted
project folders are purged 24 h after they were deleted (by the recorded time, never by the
files' own modification times). Abandoned uploads are `leftover_cleanup`'s."""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from contactsheet.catalog.project_delete import archived_folder_fate, move_folder_to_deleted
from contactsheet.clock import utcnow
from contactsheet.db.enums import FOLDER_REASONS, ProjectStatus, TrashReason
from contactsheet.db.tables import Project, TrashEntry
from contactsheet.errors import UnsafePath
from contactsheet.library.manifest import ManifestError, read_manifest
from contactsheet.library.names import name_key
from contactsheet.workers.context import JobContext

KEEP_DELETED = timedelta(hours=24)


def _move_leftovers(context: JobContext) -> int:
    paths = context.runtime.paths
    with context.runtime.db.read() as session:
        archived = list(
            session.scalars(select(Project).where(Project.status == ProjectStatus.ARCHIVED))
        )
        active_folders = set(
            session.scalars(
                select(Project.folder_key).where(Project.status == ProjectStatus.ACTIVE)
            )
        )
    moved = 0
    for project in archived:
        context.check_canceled()
        if name_key(project.folder) in active_folders:
            continue
        try:
            manifest = read_manifest(paths.manifest_path(project.folder))
        except ManifestError:
            continue
        # Only a folder that proves it is this project's goes; anything else is the user's.
        if manifest is None or manifest.id != project.id:
            continue
        # A copy put back after the deletion moved the folder out (a restored backup) is a new
        # project for discovery, and a folder the running deletion will move is left to it.
        with context.runtime.db.read() as session:
            if archived_folder_fate(session, project, project.folder) != "leftover":
                continue
        if move_folder_to_deleted(context, project, TrashReason.PROJECT_SCAVENGE):
            moved += 1
    return moved


def _purge_expired(context: JobContext) -> int:
    paths = context.runtime.paths
    cutoff = utcnow() - KEEP_DELETED
    with context.runtime.db.read() as session:
        entries = list(
            session.scalars(
                select(TrashEntry).where(
                    TrashEntry.reason.in_(FOLDER_REASONS),
                    TrashEntry.purged_at.is_(None),
                    TrashEntry.restored_at.is_(None),
                    TrashEntry.trashed_at < cutoff,
                )
            )
        )
    purged = 0
    for entry in entries:
        context.check_canceled()
        try:
            target = paths.stored(entry.trash_path)
        except UnsafePath:
            continue  # a record that leads out of the library or through a link
        if target.parent != paths.deleted_projects_root:
            continue
        shutil.rmtree(target, ignore_errors=True)
        if target.exists():
            continue  # not all of it could be deleted: try again next time
        with context.runtime.db.write() as session:
            row = session.get(TrashEntry, entry.id)
            if row is not None:
                row.purged_at = utcnow()
            # The files trashed inside that project's folder went with it.
            session.execute(
                update(TrashEntry)
                .where(
                    TrashEntry.project_id == entry.project_id,
                    TrashEntry.reason.not_in(FOLDER_REASONS),
                    TrashEntry.purged_at.is_(None),
                    TrashEntry.restored_at.is_(None),
                )
                .values(purged_at=utcnow())
            )
        purged += 1
    return purged


def project_scavenge(context: JobContext) -> dict[str, Any]:
    moved = _move_leftovers(context)
    purged = _purge_expired(context)
    return context.report(
        found={"leftover_folders": moved, "deleted_folders_due": purged},
        changed={"folders_moved": moved, "purged": purged},
        folders_moved=moved,
        purged=purged,
    )
