"""The steps of the `project_delete` task: stop the project's jobs, move its folder out of the
library into the deleted-projects area (purged after 24 h by `project_scavenge`), delete its rows.
The project row itself stays, archived, for audit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from contactsheet.clock import utcnow
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project, Tag, TrashEntry
from contactsheet.jobs.context import JobContext, PermanentJobError
from contactsheet.library.manifest import ManifestError, read_manifest
from contactsheet.library.paths import LibraryPaths

STOP_WAIT_SECONDS = 60.0
DELETE_CHUNK = 500
TRASH_REASON = "project_delete"


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


def move_folder_to_deleted(context: JobContext, project: Project, reason: str) -> str | None:
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
    moved_to = move_folder_to_deleted(context, project, TRASH_REASON)
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
