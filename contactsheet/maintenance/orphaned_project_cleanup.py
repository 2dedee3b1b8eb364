"""`orphaned_project_cleanup`: a project whose folder is gone is marked missing, not deleted.

The disk may only be unplugged. A folder renamed by hand is found by its manifest id and
followed; one that is nowhere is marked `missing` (the API and the UI say so); only when it is
still gone at a run at least `GRACE` after the first sighting is the project archived, and then
with every row kept, so that the folder coming back (discovery) revives it whole. A library whose
projects folder is itself gone marks nothing: that is one unmounted disk, not every project lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from contactsheet.catalog.findings import Seen, sync_findings
from contactsheet.catalog.projects import active_projects, follow_folder
from contactsheet.clock import utcnow
from contactsheet.db.enums import ArchiveReason, ProjectStatus
from contactsheet.db.tables import Project
from contactsheet.jobs.events import add_event
from contactsheet.library.manifest import folders_with_id
from contactsheet.workers.context import JobContext

GRACE = timedelta(hours=1)
STEP = "orphaned_project_cleanup"


def orphaned_project_cleanup(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    paths = runtime.paths
    scope = context.job.project_id
    projects = active_projects(runtime.db, runtime.tenant, scope)
    found = {"projects": len(projects), "missing": 0, "returned": 0}
    changed = {"marked_missing": 0, "followed": 0, "cleared": 0, "archived": 0}
    seen: list[Seen] = []
    if projects and not paths.projects_root.is_dir():
        seen.append(
            Seen(
                "library_missing",
                str(paths.projects_root),
                "the projects folder of the library is missing (an unmounted disk?); "
                "no project is marked missing until it is back",
            )
        )
        projects = []
    for candidate in projects:
        context.check_canceled()
        if paths.project_dir(candidate.folder).is_dir():
            if candidate.missing_since is not None:
                found["returned"] += 1
                changed["cleared"] += _clear(context, candidate.id)
            continue
        found["missing"] += 1
        with runtime.db.write() as session:
            project = session.get_one(Project, candidate.id)
            if project.status != ProjectStatus.ACTIVE or paths.project_dir(project.folder).is_dir():
                continue
            others = set(
                session.scalars(
                    select(Project.folder_key).where(
                        Project.tenant == project.tenant,
                        Project.status == ProjectStatus.ACTIVE,
                        Project.id != project.id,
                    )
                )
            )
            moved = folders_with_id(paths, project.id, others)
            now = utcnow()
            if moved:
                old = project.folder
                follow_folder(session, paths, project, moved[0])
                project.missing_since = None
                add_event(
                    session,
                    "jobs",
                    "folder_renamed",
                    {"project_id": project.id, "old_folder": old, "folder": moved[0]},
                )
                changed["followed"] += 1
                continue
            if project.missing_since is None:
                project.missing_since = now
                add_event(
                    session,
                    "jobs",
                    "project_missing",
                    {"project_id": project.id, "folder": project.folder, "since": now.isoformat()},
                )
                changed["marked_missing"] += 1
            elif now - project.missing_since >= GRACE:
                project.status = ProjectStatus.ARCHIVED
                project.archived_at = now
                project.archived_reason = ArchiveReason.FOLDER_LOST
                add_event(
                    session,
                    "jobs",
                    "project_archived",
                    {"project_id": project.id, "folder": project.folder, "reason": "folder_lost"},
                )
                changed["archived"] += 1
                continue
            seen.append(
                Seen(
                    "project_missing",
                    project.folder,
                    f"the folder {project.folder!r} is missing since "
                    f"{project.missing_since.isoformat(timespec='seconds')}; the project is "
                    f"archived (its rows kept) if it is still gone {_hours(GRACE)} after that",
                    project.id,
                )
            )
    with runtime.db.write() as session:
        sync = sync_findings(session, runtime.tenant, STEP, seen, project_id=scope)
    return context.report(found, changed, **sync)


def _clear(context: JobContext, project_id: int) -> int:
    with context.runtime.db.write() as session:
        project = session.get_one(Project, project_id)
        if project.missing_since is None:
            return 0
        project.missing_since = None
        add_event(
            session, "jobs", "project_found", {"project_id": project.id, "folder": project.folder}
        )
    return 1


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"
