"""The steps of the `project_delete` task: stop the project's jobs, move its folder out of the
library into the deleted-projects area (purged after 24 h by `project_scavenge`), delete its rows.
The project row itself stays, archived, for audit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.enums import (
    FOLDER_REASONS,
    ArchiveReason,
    ProjectStatus,
    TaskStatus,
    TrashReason,
)
from contactsheet.db.tables import Photo, Project, Tag, Task, TrashEntry
from contactsheet.library.manifest import ManifestError, read_manifest
from contactsheet.library.names import name_key
from contactsheet.library.paths import LibraryPaths
from contactsheet.workers.context import JobContext, PermanentJobError

STOP_WAIT_SECONDS = 60.0
DELETE_CHUNK = 500


def _archived_project(context: JobContext) -> Project:
    project_id = context.job.project_id
    with context.runtime.db.read() as session:
        project = session.get(Project, project_id) if project_id is not None else None
    if project is None:
        raise PermanentJobError(f"project {project_id} does not exist")
    if project.status != ProjectStatus.ARCHIVED:
        raise PermanentJobError(f"project {project.id} is active; its files are not deleted")
    return project


def stop_processes(context: JobContext) -> dict[str, Any]:
    project = _archived_project(context)
    queue = context.queue
    canceled = queue.cancel_project_jobs(project.id, except_task=context.job.task_id)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while queue.running_jobs_of_project(project.id, except_task=context.job.task_id):
        context.check_canceled()
        if time.monotonic() > deadline:
            raise TimeoutError("the project's running jobs have not stopped yet")
        time.sleep(0.2)
    return {"canceled_jobs": canceled}


def deleted_destination(paths: LibraryPaths, project: Project) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    return paths.deleted_projects_root / f"{project.folder}.{project.id}.{stamp}"


def deletion_running(session: Session, project_id: int) -> bool:
    """A `project_delete` task of the project has not finished: its folder is its to move."""
    return (
        session.scalar(
            select(Task.id)
            .where(
                Task.type == "project_delete",
                Task.project_id == project_id,
                Task.status == TaskStatus.RUNNING,
            )
            .limit(1)
        )
        is not None
    )


def folder_moved_out(session: Session, project: Project) -> bool:
    """The project's deletion has moved its folder out of the library already."""
    query = select(TrashEntry.id).where(
        TrashEntry.project_id == project.id, TrashEntry.reason.in_(FOLDER_REASONS)
    )
    if project.archived_at is not None:
        query = query.where(TrashEntry.trashed_at >= project.archived_at)
    return session.scalar(query.limit(1)) is not None


def archived_folder_fate(session: Session, project: Project, folder: str) -> str:
    """What becomes of a folder in the library whose manifest names the archived `project`:

    - "deleting": its deletion is under way and moves it;
    - "leftover": the deletion never moved its folder out and this is that folder, at its
      recorded name: `project_scavenge` moves it out (restorable for 24 h), as the user asked;
    - "revive": the project was archived because this folder had gone missing (an unplugged
      disk): the folder is back, and so is the project, with its rows;
    - "new": anything else (the deletion moved its folder out already, so this is a copy, a
      restored backup; or a folder renamed away from the deletion): a new project, never purged.
    """
    if project.archived_reason == ArchiveReason.FOLDER_LOST:
        return "revive"
    if deletion_running(session, project.id):
        return "deleting"
    if name_key(folder) == project.folder_key and not folder_moved_out(session, project):
        return "leftover"
    return "new"


def move_folder_to_deleted(
    context: JobContext, project: Project, reason: TrashReason
) -> str | None:
    """Move the project's folder out of the library; returns where to, None if it was gone.

    The trash record is written before the move, so a crash between the two leaves a record
    pointing at nothing (harmless) rather than a folder that nothing will ever purge.
    """
    paths = context.runtime.paths
    source = paths.project_dir(project.folder)
    if not source.is_dir():
        return None
    try:
        manifest = read_manifest(paths.manifest_path(project.folder))
    except ManifestError:
        manifest = None
    if manifest is not None and manifest.id != project.id:
        raise PermanentJobError(
            f"folder {project.folder!r} now holds project {manifest.id}; it is not deleted"
        )
    destination = deleted_destination(paths, project)
    with context.runtime.db.write() as session:
        session.add(
            TrashEntry(
                tenant=project.tenant,
                project_id=project.id,
                original_path=str(source.relative_to(paths.root)),
                trash_path=str(destination.relative_to(paths.root)),
                reason=reason,
            )
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    source.rename(destination)
    return str(destination.relative_to(paths.root))


def delete_files(context: JobContext) -> dict[str, Any]:
    project = _archived_project(context)
    moved_to = move_folder_to_deleted(context, project, TrashReason.PROJECT_DELETE)
    return {"moved_to": moved_to, "folder_was_present": moved_to is not None}


def cleanup_db(context: JobContext) -> dict[str, Any]:
    project = _archived_project(context)
    db = context.runtime.db
    photos = 0
    while True:
        context.check_canceled()
        # Chunks keep each write transaction short, so the API stays responsive meanwhile.
        with db.write() as session:
            ids = list(
                session.scalars(
                    select(Photo.id).where(Photo.project_id == project.id).limit(DELETE_CHUNK)
                )
            )
            if not ids:
                break
            session.execute(delete(Photo).where(Photo.id.in_(ids)))
            photos += len(ids)
    with db.write() as session:
        tags = session.execute(delete(Tag).where(Tag.project_id == project.id)).rowcount
    return {"photos_deleted": photos, "tags_deleted": int(tags or 0)}
