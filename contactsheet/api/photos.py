"""Photo-level actions. Bulk rules: at most 2,000 items, `dry_run` changes nothing, per-item
failures are reported without failing the rest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoId, Rating
from contactsheet.catalog.bulk import (
    BulkResult,
    Edit,
    add_tags,
    apply_edit,
    check_size,
    load_photos,
    remove_tags,
    set_keep,
    set_pick,
    set_rating,
    set_visibility,
)
from contactsheet.catalog.commit import pending_condition, pending_counts
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import Pick, ProjectStatus, Visibility
from contactsheet.db.tables import Photo, Project
from contactsheet.derivatives.generate import PhotoNotFound, plan_photo
from contactsheet.jobs.events import publish
from contactsheet.runtime import Runtime

router = APIRouter(prefix="/api/photos", tags=["photos"])
MAX_ITEMS = 2000


class PhotoRef(BaseModel):
    photo_id: PhotoId


class ProcessRequest(BaseModel):
    items: list[PhotoRef] = Field(min_length=1, max_length=MAX_ITEMS)
    force: bool = False
    dry_run: bool = False


@router.post(
    "/process",
    status_code=202,
    responses={200: {"description": "`dry_run`: what would be made for each photo, and why."}},
)
def process(body: ProcessRequest, runtime: RuntimeDep) -> JSONResponse:
    """(Re)generate thumbnails and previews. `force: true` (the user's "Regenerate") remakes them
    even when the cache is valid; otherwise only what is missing or out of date is made. One
    `generate_derivatives` task per project; 202 with their ids."""
    check_size(body.items)
    wanted = sorted({item.photo_id for item in body.items})
    with runtime.db.read() as session:
        rows = session.execute(
            select(Photo.id, Photo.project_id)
            .join(Project, Project.id == Photo.project_id)
            .where(Photo.id.in_(wanted), Project.status == ProjectStatus.ACTIVE)
        ).all()
    by_project: dict[int, list[int]] = {}
    for photo_id, project_id in rows:
        by_project.setdefault(project_id, []).append(photo_id)
    found = {photo_id for photo_id, _ in rows}
    failures = [{"photo_id": pid, "error": "no such photo"} for pid in wanted if pid not in found]
    if body.dry_run:
        plans: dict[int, Any] = {}
        for photo_id in sorted(found):
            try:
                plans[photo_id] = plan_photo(runtime, photo_id, force=body.force)
            except PhotoNotFound:
                failures.append({"photo_id": photo_id, "error": "no such photo"})
        return JSONResponse({"dry_run": True, "plans": plans, "failures": failures}, 200)
    jobs = []
    with runtime.db.write() as session:
        for project_id, photo_ids in sorted(by_project.items()):
            job = runtime.queue.start_task(
                session,
                "generate_derivatives",
                project_id=project_id,
                payload={"photo_ids": photo_ids, "force": body.force},
            )
            jobs.append({"project_id": project_id, "task_id": job.task_id, "job_id": job.id})
    return JSONResponse({"jobs": jobs, "failures": failures, "queued": len(found)}, 202)


class Rollback(Exception):
    """Ends a dry run's transaction without keeping anything."""


def run_bulk(runtime: Runtime, ids: list[int], edit: Edit, dry_run: bool) -> BulkResult:
    check_size(ids)
    result = BulkResult(dry_run=dry_run)
    try:
        with runtime.db.write() as session:
            outcome = apply_edit(session, runtime.tenant, ids, edit)
            result.changed, result.unchanged, result.failed = (
                outcome.changed,
                outcome.unchanged,
                outcome.failed,
            )
            if dry_run:
                raise Rollback
    except Rollback:
        pass
    return result


class BulkItems(BaseModel):
    items: list[PhotoRef] = Field(min_length=1, max_length=MAX_ITEMS)
    dry_run: bool = False

    @property
    def ids(self) -> list[int]:
        return [item.photo_id for item in self.items]


class KeepItem(PhotoRef):
    keep_jpg: bool | None = None
    keep_raw: bool | None = None


class KeepRequest(BaseModel):
    items: list[KeepItem] = Field(min_length=1, max_length=MAX_ITEMS)
    keep_jpg: bool | None = None
    keep_raw: bool | None = None
    dry_run: bool = False


class TagsRequest(BulkItems):
    tags: list[str] = Field(min_length=1, max_length=50)


class VisibilityRequest(BulkItems):
    visibility: Visibility


class RatingRequest(BulkItems):
    rating: Rating


class PickRequest(BulkItems):
    pick: Pick


class MoveRequest(BulkItems):
    dest_folder: str


class ProjectsRequest(BaseModel):
    projects: list[str] | None = Field(None, max_length=MAX_ITEMS)
    dry_run: bool = False


def _announce_pending(runtime: Runtime, photo_ids: list[int]) -> None:
    if not photo_ids:
        return
    with runtime.db.read() as session:
        project_ids = sorted(
            set(session.scalars(select(Photo.project_id).where(Photo.id.in_(photo_ids))))
        )
    publish(
        runtime.db,
        "pending-changes",
        "pending_changes_state",
        {"projects": pending_counts(runtime, project_ids), "project_ids": project_ids},
    )


@router.post("/keep")
def keep(body: KeepRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Set keep flags (culling). Per item values override the request's. Nothing is deleted
    until a commit; `GET /api/photos/pending-deletes` counts what would go."""
    check_size(body.items)
    by_choice: dict[tuple[bool | None, bool | None], list[int]] = {}
    for item in body.items:
        choice = (
            item.keep_jpg if item.keep_jpg is not None else body.keep_jpg,
            item.keep_raw if item.keep_raw is not None else body.keep_raw,
        )
        by_choice.setdefault(choice, []).append(item.photo_id)
    total = BulkResult(dry_run=body.dry_run)
    for (keep_jpg, keep_raw), ids in by_choice.items():
        part = run_bulk(runtime, ids, set_keep(keep_jpg, keep_raw), body.dry_run)
        total.changed += part.changed
        total.unchanged += part.unchanged
        total.failed += part.failed
    if not body.dry_run:
        _announce_pending(runtime, total.changed)
    return total.as_dict()


@router.post("/tags/add")
def tags_add(body: TagsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    return run_bulk(runtime, body.ids, add_tags(body.tags), body.dry_run).as_dict()


@router.post("/tags/remove")
def tags_remove(body: TagsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    return run_bulk(runtime, body.ids, remove_tags(body.tags), body.dry_run).as_dict()


@router.post("/visibility")
def visibility(body: VisibilityRequest, runtime: RuntimeDep) -> dict[str, Any]:
    return run_bulk(runtime, body.ids, set_visibility(body.visibility), body.dry_run).as_dict()


@router.post("/rating")
def rating(body: RatingRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Star rating 0-5 (independent of the keep flags)."""
    return run_bulk(runtime, body.ids, set_rating(body.rating), body.dry_run).as_dict()


@router.post("/pick")
def pick(body: PickRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Pick flag: picked, rejected or unflagged (independent of the keep flags)."""
    return run_bulk(runtime, body.ids, set_pick(body.pick), body.dry_run).as_dict()


@router.post("/move", status_code=202)
def move(body: MoveRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Move photos (originals, sidecars, derivatives) to another project by an `image_move` task;
    a basename already there gets `_duplicateN`, a photo of the same name and another type is
    joined."""
    check_size(body.ids)
    with runtime.db.write() as session:
        dest = find_project(session, runtime.tenant, body.dest_folder)
        photos = load_photos(session, runtime.tenant, body.ids)
        failed = [{"photo_id": i, "error": "no such photo"} for i in body.ids if i not in photos]
        already = [i for i, p in photos.items() if p.project_id == dest.id]
        moving = sorted(i for i, p in photos.items() if p.project_id != dest.id)
        answer: dict[str, Any] = {
            "dry_run": body.dry_run,
            "moving": moving,
            "already_there": already,
            "failed": failed,
        }
        if moving and not body.dry_run:
            job = runtime.queue.start_task(
                session,
                "image_move",
                project_id=dest.id,
                payload={"photo_ids": moving, "dest_project_id": dest.id},
            )
            answer["task_id"] = job.task_id
    return answer


def _project_ids(runtime: Runtime, folders: list[str] | None) -> list[int] | None:
    if folders is None:
        return None
    with runtime.db.read() as session:
        return [find_project(session, runtime.tenant, f).id for f in folders]


def _commit(runtime: Runtime, project_ids: list[int] | None, dry_run: bool) -> dict[str, Any]:
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


def _revert(runtime: Runtime, project_ids: list[int] | None, dry_run: bool) -> dict[str, Any]:
    pending = pending_counts(runtime, project_ids)
    condition = [Photo.project_id.in_([p["project_id"] for p in pending])]
    reverted = 0
    if pending and not dry_run:
        with runtime.db.write() as session:
            reverted = session.execute(
                update(Photo)
                .where(*condition, pending_condition())
                .values(keep_jpg=Photo.jpg_available, keep_raw=Photo.raw_available)
            ).rowcount
        publish(
            runtime.db,
            "pending-changes",
            "pending_changes_state",
            {"projects": [], "project_ids": [p["project_id"] for p in pending]},
        )
    return {"dry_run": dry_run, "pending": pending, "reverted": int(reverted or 0)}


@router.post("/commit-changes", status_code=202)
def commit_changes(body: ProjectsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Start `change_commit` for every project with pending deletions (or those listed): files
    not kept go to `.trash` (restorable 24 h)."""
    return _commit(runtime, _project_ids(runtime, body.projects), body.dry_run)


@router.post("/revert-changes")
def revert_changes(body: ProjectsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Reset keep flags to availability; nothing on disk changes."""
    return _revert(runtime, _project_ids(runtime, body.projects), body.dry_run)


class DryRun(BaseModel):
    dry_run: bool = False


project_router = APIRouter(prefix="/api/projects", tags=["photos"])


@project_router.post("/{folder}/commit-changes", status_code=202)
def commit_project(folder: str, runtime: RuntimeDep, body: DryRun | None = None) -> dict[str, Any]:
    return _commit(runtime, _project_ids(runtime, [folder]), bool(body and body.dry_run))


@project_router.post("/{folder}/revert-changes")
def revert_project(folder: str, runtime: RuntimeDep, body: DryRun | None = None) -> dict[str, Any]:
    return _revert(runtime, _project_ids(runtime, [folder]), bool(body and body.dry_run))
