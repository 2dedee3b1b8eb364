"""Culling: what the keep flags say will go, committing that, reverting it, and the one event
that tells every open view how much is pending.

Nothing here touches a file: `change_commit` (its step in `catalog/commit.py`) moves what was not
kept into the project's trash; a revert only resets flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select, update

from contactsheet.catalog.bulk import BulkResult, run_bulk, set_keep
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project, pending_deletion
from contactsheet.jobs.events import publish
from contactsheet.runtime import Runtime

PENDING_CHANNEL = "pending-changes"
PENDING_EVENT = "pending_changes_state"
COUNTED = ("photos", "jpg", "raw")


def pending_counts(
    runtime: Runtime, project_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Per project with pending deletions: its photos with something to go, and how many JPG and
    RAW files would go."""
    jpg_goes = func.sum(case((and_(Photo.jpg_available, ~Photo.keep_jpg), 1), else_=0))
    raw_goes = func.sum(case((and_(Photo.raw_available, ~Photo.keep_raw), 1), else_=0))
    query = (
        select(Project.folder, Project.id, func.count(), jpg_goes, raw_goes)
        .join(Project, Project.id == Photo.project_id)
        .where(
            Project.tenant == runtime.tenant,
            Project.status == ProjectStatus.ACTIVE,
            pending_deletion(),
        )
        .group_by(Project.folder, Project.id)
        .order_by(Project.folder)
    )
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    with runtime.db.read() as session:
        return [
            {
                "project": folder,
                "project_id": pid,
                "photos": n,
                "jpg": int(j or 0),
                "raw": int(r or 0),
            }
            for folder, pid, n, j, r in session.execute(query)
        ]


def pending_summary(runtime: Runtime) -> dict[str, Any]:
    """What a commit of everything would remove: per project and in total."""
    by_project = pending_counts(runtime)
    total = {key: sum(p[key] for p in by_project) for key in COUNTED}
    return {"total": total, "by_project": by_project}


def announce_pending(runtime: Runtime, project_ids: Sequence[int]) -> None:
    """`pending_changes_state` for these projects, in its one shape: `projects` holds an entry per
    project (zeros once nothing is pending), `project_ids` the same ids."""
    ids = sorted(set(project_ids))
    if not ids:
        return
    counted = {entry["project_id"]: entry for entry in pending_counts(runtime, ids)}
    with runtime.db.read() as session:
        query = select(Project.id, Project.folder).where(Project.id.in_(ids))
        folders = {pid: folder for pid, folder in session.execute(query)}
    projects = [
        counted.get(pid)
        or {"project": folders[pid], "project_id": pid, "photos": 0, "jpg": 0, "raw": 0}
        for pid in ids
        if pid in folders
    ]
    publish(
        runtime.db,
        PENDING_CHANNEL,
        PENDING_EVENT,
        {"projects": projects, "project_ids": [p["project_id"] for p in projects]},
    )


def keep_flags(
    runtime: Runtime,
    choices: dict[tuple[bool | None, bool | None], list[int]],
    *,
    dry_run: bool,
    only_available: bool = False,
) -> BulkResult:
    """Set keep flags: for each (keep_jpg, keep_raw) choice, its photos (None leaves a flag;
    `only_available` leaves a flag of a format the photo lacks instead of failing it)."""
    total = BulkResult(dry_run=dry_run)
    for (keep_jpg, keep_raw), ids in choices.items():
        edit = set_keep(keep_jpg, keep_raw, only_available=only_available)
        part = run_bulk(runtime, ids, edit, dry_run=dry_run)
        total.changed += part.changed
        total.unchanged += part.unchanged
        total.failed += part.failed
    if total.changed and not dry_run:
        with runtime.db.read() as session:
            project_ids = session.scalars(
                select(Photo.project_id).where(Photo.id.in_(total.changed)).distinct()
            ).all()
        announce_pending(runtime, project_ids)
    return total


def start_commit(
    runtime: Runtime, project_ids: Sequence[int] | None, *, dry_run: bool
) -> dict[str, Any]:
    """A `change_commit` task for each project (of those given, or all) with pending deletions."""
    pending = pending_counts(runtime, project_ids)
    if dry_run:
        return {"dry_run": True, "pending": pending, "tasks": []}
    tasks = []
    with runtime.db.write() as session:
        for entry in pending:
            job = runtime.queue.start_task(
                session, "change_commit", project_id=entry["project_id"], dedup=True
            )
            tasks.append({"project": entry["project"], "task_id": job.task_id})
    return {"dry_run": False, "pending": pending, "tasks": tasks}


def revert(runtime: Runtime, project_ids: Sequence[int] | None, *, dry_run: bool) -> dict[str, Any]:
    """Keep flags back to what is available, for every photo with a pending deletion; no file
    moves."""
    pending = pending_counts(runtime, project_ids)
    ids = [p["project_id"] for p in pending]
    reverted = 0
    if ids and not dry_run:
        with runtime.db.write() as session:
            reverted = session.execute(
                update(Photo)
                .where(Photo.project_id.in_(ids), pending_deletion())
                .values(keep_jpg=Photo.jpg_available, keep_raw=Photo.raw_available)
            ).rowcount
        announce_pending(runtime, ids)
    return {"dry_run": dry_run, "pending": pending, "reverted": int(reverted or 0)}
