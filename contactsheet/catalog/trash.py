"""Listing and restoring what the app moved to trash (files for 24 h, deleted projects for 24 h)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.enums import FOLDER_REASONS, ProjectStatus
from contactsheet.db.tables import Project, TrashEntry
from contactsheet.errors import Conflict, NotFound
from contactsheet.library.names import name_key
from contactsheet.library.trash import locate
from contactsheet.runtime import Runtime


@dataclass(frozen=True)
class TrashItem:
    id: int
    project_id: int | None
    original_path: str
    size: int
    reason: str
    trashed_at: datetime
    is_project: bool


def list_trash(runtime: Runtime, project_id: int | None = None) -> list[TrashItem]:
    query = select(TrashEntry).where(
        TrashEntry.tenant == runtime.tenant,
        TrashEntry.purged_at.is_(None),
        TrashEntry.restored_at.is_(None),
    )
    if project_id is not None:
        query = query.where(TrashEntry.project_id == project_id)
    with runtime.db.read() as session:
        rows = list(
            session.scalars(query.order_by(TrashEntry.trashed_at.desc(), TrashEntry.id.desc()))
        )
    return [
        TrashItem(
            r.id,
            r.project_id,
            r.original_path,
            r.size,
            r.reason,
            r.trashed_at,
            r.reason in FOLDER_REASONS,
        )
        for r in rows
    ]


def restore(runtime: Runtime, entry_id: int) -> str:
    """Put a trashed file (or deleted project folder) back where it was; returns its path.

    Refuses (409) when something now occupies that place: nothing is ever overwritten. A file
    goes back into its project's current folder, wherever that folder was renamed to; a folder
    that is missing is never made again for it. A restored file is indexed again by the next
    `folder_check`; a restored project becomes active again.
    """
    with runtime.db.write() as session:
        entry = session.get(TrashEntry, entry_id)
        if entry is None or entry.tenant != runtime.tenant:
            raise NotFound(f"no trash entry {entry_id}")
        if entry.restored_at is not None or entry.purged_at is not None:
            state = "restored" if entry.restored_at else "purged"
            raise Conflict(f"trash entry {entry_id} was already {state}")
        project = session.get(Project, entry.project_id) if entry.project_id else None
        if entry.reason in FOLDER_REASONS:
            _restore_project(runtime, session, entry, project)
        else:
            _restore_file(runtime, entry, project)
        entry.restored_at = utcnow()
        if entry.project_id is not None:
            # The restored file (or folder) is indexed again by folder_check.
            runtime.queue.start_task(
                session, "folder_check", project_id=entry.project_id, dedup=True
            )
    return entry.original_path


def _restore_file(runtime: Runtime, entry: TrashEntry, project: Project | None) -> None:
    paths = runtime.paths
    active = project is not None and project.status == ProjectStatus.ACTIVE
    folder = project.folder if project is not None and active else None
    place = locate(paths, entry, folder)
    target, project_dir = place.original, place.project_dir
    if not project_dir.is_dir():
        raise Conflict(f"the project folder {project_dir.name} is missing")
    source = next((p for p in place.candidates if p.is_file()), None)
    if source is None:
        raise Conflict("the trashed file is no longer there")
    if target.exists() or target.is_symlink():
        raise Conflict(f"{place.original_path} exists again; move it away first")
    if target.parent != project_dir:
        target.parent.mkdir(exist_ok=True)  # an app folder (.thumb, .preview) removed by hand
    source.rename(target)
    entry.original_path = place.original_path
    entry.trash_path = str(source.relative_to(paths.root))


def _restore_project(
    runtime: Runtime, session: Session, entry: TrashEntry, project: Project | None
) -> None:
    paths = runtime.paths
    source = paths.stored(entry.trash_path)
    target = paths.stored(entry.original_path)
    if source.parent != paths.deleted_projects_root or target.parent != paths.projects_root:
        raise Conflict("the deleted project's record does not name its folders")
    if not source.is_dir():
        raise Conflict("the trashed file is no longer there")
    if target.exists() or target.is_symlink():
        raise Conflict(f"{entry.original_path} exists again; move it away first")
    if project is None:
        raise Conflict("the deleted project's record is gone")
    clash = session.scalar(
        select(Project.id).where(
            Project.tenant == runtime.tenant,
            Project.status == ProjectStatus.ACTIVE,
            Project.folder_key == name_key(target.name),
        )
    )
    if clash is not None:
        raise Conflict(f"another project now uses the folder {target.name}")
    project.status, project.archived_at = ProjectStatus.ACTIVE, None
    project.folder, project.folder_key = target.name, name_key(target.name)
    source.rename(target)
