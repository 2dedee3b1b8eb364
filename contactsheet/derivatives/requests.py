"""A user's request to (re)make thumbnails and previews of chosen photos: one
`generate_derivatives` task per project, or, for a dry run, what each photo would get and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from contactsheet.catalog.projects import list_projects, project_id_of
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Job, Photo, Project
from contactsheet.derivatives.generate import plan_photo
from contactsheet.errors import PhotoNotFound
from contactsheet.runtime import Runtime


def request_generation(
    runtime: Runtime, photo_ids: Sequence[int], *, force: bool, dry_run: bool
) -> dict[str, Any]:
    """`force` remakes even a valid cache (the user's "Regenerate"); otherwise only what is missing
    or out of date is made. Unknown ids are reported per item, never fail the rest."""
    wanted = sorted(set(photo_ids))
    with runtime.db.read() as session:
        rows = session.execute(
            select(Photo.id, Photo.project_id)
            .join(Project, Project.id == Photo.project_id)
            .where(
                Photo.id.in_(wanted),
                Project.tenant == runtime.tenant,
                Project.status == ProjectStatus.ACTIVE,
            )
        ).all()
    by_project: dict[int, list[int]] = {}
    for photo_id, project_id in rows:
        by_project.setdefault(project_id, []).append(photo_id)
    found = {photo_id for photo_id, _ in rows}
    failures = [{"photo_id": pid, "error": "no such photo"} for pid in wanted if pid not in found]
    if dry_run:
        plans: dict[int, Any] = {}
        for photo_id in sorted(found):
            try:
                plans[photo_id] = plan_photo(runtime, photo_id, force=force)
            except PhotoNotFound:
                failures.append({"photo_id": photo_id, "error": "no such photo"})
        return {"dry_run": True, "plans": plans, "failures": failures}
    jobs = []
    with runtime.db.write() as session:
        for project_id, ids in sorted(by_project.items()):
            job = runtime.queue.start_task(
                session,
                "generate_derivatives",
                project_id=project_id,
                payload={"photo_ids": ids, "force": force},
            )
            jobs.append({"project_id": project_id, "task_id": job.task_id, "job_id": job.id})
    return {"jobs": jobs, "failures": failures, "queued": len(found)}


def projects_to_regenerate(runtime: Runtime, folder: str | None) -> list[tuple[str, int]]:
    """(folder, id) of the project in `folder`, or of every active project, oldest first."""
    if folder is not None:
        return [(folder, project_id_of(runtime.db, runtime.tenant, folder))]
    summaries = reversed(list_projects(runtime.db, runtime.tenant))
    return [(summary.project.folder, summary.project.id) for summary in summaries]


def start_project_generation(runtime: Runtime, project_id: int, *, force: bool) -> Job:
    """One `generate_derivatives` task for every photo of a project."""
    with runtime.db.write() as session:
        return runtime.queue.start_task(
            session, "generate_derivatives", project_id=project_id, payload={"force": force}
        )
