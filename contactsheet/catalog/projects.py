"""Projects: create, rename, archive, look up. The rules of names and folders live here."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactsheet.catalog.photo_counts import photos_of
from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.enums import ArchiveReason, ProjectStatus
from contactsheet.db.locks import hold_until_commit
from contactsheet.db.tables import Job, Photo, Project
from contactsheet.errors import Conflict, ProjectNotFound
from contactsheet.jobs.events import add_event
from contactsheet.jobs.queue import JobQueue
from contactsheet.library.manifest import Manifest, folders_with_id, write_manifest
from contactsheet.library.names import (
    clean_display_name,
    name_key,
    numbered,
    safe_folder_name,
    with_suffix,
)
from contactsheet.library.paths import LibraryPaths
from contactsheet.library.trash import follow_folder as follow_trash
from contactsheet.logs import log_event

log = logging.getLogger(__name__)

# Concurrent creates of the same name on PostgreSQL race on the unique index; the loser retries.
_CREATE_ATTEMPTS = 5


def _lock_names(session: Session, tenant: str) -> None:
    """Let one transaction at a time choose a tenant's project names and folders.

    SQLite's single writer already does; on PostgreSQL, requests that looked at the same free
    name would all race for it, and with enough of them some ran out of retries (or, renaming,
    hit the unique index with no retry at all). A transaction-scoped advisory lock queues them.
    """
    hold_until_commit(session, f"project-names:{tenant}")


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    photo_count: int


def _active(tenant: str):  # type: ignore[no-untyped-def]
    return (Project.tenant == tenant) & (Project.status == ProjectStatus.ACTIVE)


def add_project(session: Session, tenant: str, name: str, folder: str) -> Project:
    """A new active project row with its identity keys, flushed so it has its id."""
    project = Project(
        tenant=tenant,
        name=name,
        name_key=name_key(name),
        folder=folder,
        folder_key=name_key(folder),
    )
    session.add(project)
    session.flush()
    return project


def manifest_of(project: Project) -> Manifest:
    return Manifest(
        id=project.id,
        name=project.name,
        folder=project.folder,
        tenant=project.tenant,
        created_at=project.created_at,
    )


def rewrite_manifest(session: Session, paths: LibraryPaths, project: Project) -> None:
    """Write an existing project's manifest again and say so on the event stream, in the caller's
    transaction: a client showing the project learns its name or folder changed."""
    write_manifest(paths.manifest_path(project.folder), manifest_of(project))
    add_event(
        session,
        "jobs",
        "manifest_changed",
        {"project_id": project.id, "name": project.name, "folder": project.folder},
    )


def follow_folder(session: Session, paths: LibraryPaths, project: Project, folder: str) -> None:
    """The project's folder is now `folder` on disk: its row, its trash records and its manifest
    follow, in the caller's transaction."""
    project.folder, project.folder_key = folder, name_key(folder)
    session.flush()
    follow_trash(session, paths, project.id, folder)
    rewrite_manifest(session, paths, project)


def _taken(session: Session, column: Any, tenant: str, besides: int | None) -> set[str]:
    query = select(column).where(_active(tenant))
    if besides is not None:
        query = query.where(Project.id != besides)
    return set(session.scalars(query))


def free_name(session: Session, tenant: str, wanted: str, *, besides: int | None = None) -> str:
    """The first of `wanted`, `wanted (2)`, … that no other active project is called (ignoring
    case and Unicode form). Takes the tenant's name lock: the caller's transaction then owns the
    name until it commits."""
    _lock_names(session, tenant)
    others = _taken(session, Project.name_key, tenant, besides)
    return next(c for _, c in numbered(wanted) if name_key(c) not in others)


def free_folder(
    session: Session, paths: LibraryPaths, tenant: str, name: str, *, project: Project | None = None
) -> str:
    """The first folder for `name` (its safe folder name, then ` (2)`, …) that neither another
    project nor anything on disk has; `project`'s own folder counts as free. Takes the name lock."""
    _lock_names(session, tenant)
    taken = _taken(session, Project.folder_key, tenant, project.id if project else None)
    taken |= paths.existing_folder_keys() - ({project.folder_key} if project else set())
    base = safe_folder_name(name)
    return next(f for n, _ in numbered(base) if name_key(f := with_suffix(base, n)) not in taken)


def _free_name_and_folder(
    session: Session, paths: LibraryPaths, tenant: str, name: str
) -> tuple[str, str]:
    """The first `name (n)` whose name and folder are both free, in the database and on disk (one
    number for both, so "Wedding (2)" lives in the folder "Wedding (2)")."""
    _lock_names(session, tenant)
    taken_names = _taken(session, Project.name_key, tenant, None)
    taken_folders = _taken(session, Project.folder_key, tenant, None) | paths.existing_folder_keys()
    base_folder = safe_folder_name(name)
    for n, candidate in numbered(name):
        folder = with_suffix(base_folder, n)
        if name_key(candidate) not in taken_names and name_key(folder) not in taken_folders:
            return candidate, folder
    raise AssertionError("unreachable")


def create_project(db: Database, paths: LibraryPaths, tenant: str, raw_name: object) -> Project:
    """Create the row, the folder with `.thumb/ .preview/ .trash/`, and the manifest, together."""
    requested = clean_display_name(raw_name)
    for _attempt in range(_CREATE_ATTEMPTS):
        created_dir = None
        try:
            with db.write() as session:
                name, folder = _free_name_and_folder(session, paths, tenant, requested)
                project = add_project(session, tenant, name, folder)
                created_dir = paths.create_project_dirs(folder)
                write_manifest(paths.manifest_path(folder), manifest_of(project))
            log_event(log, "project_created", id=project.id, folder=folder)
            return project
        except (IntegrityError, FileExistsError):
            # Another request took the name or folder between our look and our write.
            if created_dir is not None:
                shutil.rmtree(created_dir, ignore_errors=True)
            continue
        except BaseException:
            if created_dir is not None:
                shutil.rmtree(created_dir, ignore_errors=True)
            raise
    raise Conflict(f"could not find a free name for {requested!r}; try again")


def list_projects(db: Database, tenant: str) -> list[ProjectSummary]:
    query = (
        select(Project, photos_of(Project.id))
        .where(_active(tenant))
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    with db.read() as session:
        return [ProjectSummary(p, n) for p, n in session.execute(query)]


def active_projects(db: Database, tenant: str, project_id: int | None = None) -> list[Project]:
    """The active projects (only `project_id`'s when given), oldest first: what a step covers."""
    query = select(Project).where(_active(tenant)).order_by(Project.id)
    if project_id is not None:
        query = query.where(Project.id == project_id)
    with db.read() as session:
        return list(session.scalars(query))


def revive_project(session: Session, paths: LibraryPaths, project: Project, folder: str) -> None:
    """A project archived because its folder stayed missing has its folder back (`folder`): it is
    active again with every row it had, under its name when still free (else `name (2)`)."""
    name = free_name(session, project.tenant, project.name, besides=project.id)
    project.name, project.name_key = name, name_key(name)
    project.status = ProjectStatus.ACTIVE
    project.archived_at = project.archived_reason = project.missing_since = None
    follow_folder(session, paths, project, folder)
    add_event(session, "jobs", "project_found", {"project_id": project.id, "folder": folder})


def find_project(session: Session, tenant: str, folder: str) -> Project:
    if "\x00" in folder:
        # No folder holds a NUL, and PostgreSQL refuses one even in a query: not found, not a 500.
        raise ProjectNotFound(f"no project with folder {folder!r}")
    project = session.scalar(select(Project).where(_active(tenant), Project.folder == folder))
    if project is None:
        raise ProjectNotFound(f"no project with folder {folder!r}")
    return project


def hold_project(session: Session, project_id: int) -> Project | None:
    """The project's row, locked until the transaction ends (PostgreSQL; SQLite's one writer
    serialises anyway). Whatever adds the project's files to the catalog (placement, indexing)
    holds it, so they take turns and each sees what the other committed."""
    return session.get(Project, project_id, with_for_update=True)


def project_id_of(db: Database, tenant: str, folder: str) -> int:
    """The id of the active project in `folder`; `ProjectNotFound` otherwise. Every request that
    names a project by its folder asks here."""
    with db.read() as session:
        return find_project(session, tenant, folder).id


def photos_belong(db: Database, project_id: int, photo_ids: list[int]) -> bool:
    """Whether every id of `photo_ids` (distinct) is a photo of the project."""
    with db.read() as session:
        found = session.scalar(
            select(func.count()).where(Photo.id.in_(photo_ids), Photo.project_id == project_id)
        )
    return found == len(photo_ids)


def get_project(db: Database, tenant: str, folder: str) -> ProjectSummary:
    with db.read() as session:
        project = find_project(session, tenant, folder)
        return ProjectSummary(project, session.scalar(select(photos_of(project.id))) or 0)


def _moved_folder(session: Session, paths: LibraryPaths, project: Project) -> str:
    """Where the project's folder went when it was renamed by hand (found by its manifest id,
    as discovery would follow it); Conflict when it is nowhere in the library (an unplugged disk,
    moved away): the manifest is never written into a folder made again for it."""
    others = set(
        session.scalars(
            select(Project.folder_key).where(_active(project.tenant), Project.id != project.id)
        )
    )
    found = folders_with_id(paths, project.id, others)
    if not found:
        raise Conflict(
            f"the folder {project.folder!r} of this project is missing from the library; "
            "put it back, then try again"
        )
    return found[0]


def rename_project(
    db: Database,
    paths: LibraryPaths,
    tenant: str,
    folder: str,
    raw_name: object,
    queue: JobQueue | None = None,
) -> Project:
    """Change the display name now; the folder follows in a `folder_alignment` task, queued in
    the same transaction (and in hourly maintenance should that one fail)."""
    requested = clean_display_name(raw_name)
    with db.write() as session:
        project = find_project(session, tenant, folder)
        name = free_name(session, tenant, requested, besides=project.id)
        old_name, project.name, project.name_key = project.name, name, name_key(name)
        session.flush()
        if paths.project_dir(project.folder).is_dir():
            rewrite_manifest(session, paths, project)
        else:
            follow_folder(session, paths, project, _moved_folder(session, paths, project))
        if queue is not None and name_key(old_name) != project.name_key:
            queue.start_task(session, "folder_alignment", project_id=project.id, dedup=True)
    log_event(log, "project_renamed", id=project.id, old=old_name, new=name)
    return project


def delete_project(db: Database, queue: JobQueue, tenant: str, folder: str) -> tuple[Project, Job]:
    """Hide the project at once and queue the `project_delete` task in the same transaction.

    The task stops the project's jobs, moves its folder out of the library (kept 24 h) and
    deletes its photo rows; the project row stays, archived, for audit.
    """
    with db.write() as session:
        project = find_project(session, tenant, folder)
        project.status = ProjectStatus.ARCHIVED
        project.archived_at = utcnow()
        project.archived_reason = ArchiveReason.DELETED
        job = queue.start_task(session, "project_delete", project_id=project.id)
    log_event(log, "project_archived", id=project.id, folder=folder, task_id=job.task_id)
    return project, job
