"""Photo-level actions. Bulk rules: at most 2,000 items, `dry_run` changes nothing, per-item
failures are reported without failing the rest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoRef, Rating
from contactsheet.catalog import culling
from contactsheet.catalog.bulk import (
    MAX_ITEMS,
    add_tags,
    remove_tags,
    run_bulk,
    set_pick,
    set_rating,
    set_visibility,
)
from contactsheet.catalog.moves import request_move
from contactsheet.catalog.projects import project_id_of
from contactsheet.db.enums import Pick, Visibility
from contactsheet.derivatives.requests import request_generation
from contactsheet.runtime import Runtime

router = APIRouter(prefix="/api/photos", tags=["photos"])


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
    ids = [item.photo_id for item in body.items]
    answer = request_generation(runtime, ids, force=body.force, dry_run=body.dry_run)
    return JSONResponse(answer, 200 if body.dry_run else 202)


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
    only_available: bool = Field(
        False,
        description="Keeping a format a photo does not have leaves that flag as it is, instead "
        "of failing the photo (a selection of JPG-only and RAW+JPG photos kept 'both').",
    )
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


@router.post("/keep")
def keep(body: KeepRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Set keep flags (culling). Per item values override the request's. Nothing is deleted
    until a commit; `GET /api/photos/pending-deletes` counts what would go."""
    choices: dict[tuple[bool | None, bool | None], list[int]] = {}
    for item in body.items:
        choice = (
            item.keep_jpg if item.keep_jpg is not None else body.keep_jpg,
            item.keep_raw if item.keep_raw is not None else body.keep_raw,
        )
        choices.setdefault(choice, []).append(item.photo_id)
    return culling.keep_flags(
        runtime, choices, dry_run=body.dry_run, only_available=body.only_available
    ).as_dict()


@router.post("/tags/add")
def tags_add(body: TagsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    return run_bulk(runtime, body.ids, add_tags(body.tags), dry_run=body.dry_run).as_dict()


@router.post("/tags/remove")
def tags_remove(body: TagsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    return run_bulk(runtime, body.ids, remove_tags(body.tags), dry_run=body.dry_run).as_dict()


@router.post("/visibility")
def visibility(body: VisibilityRequest, runtime: RuntimeDep) -> dict[str, Any]:
    edit = set_visibility(body.visibility)
    return run_bulk(runtime, body.ids, edit, dry_run=body.dry_run).as_dict()


@router.post("/rating")
def rating(body: RatingRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Star rating 0-5 (independent of the keep flags)."""
    return run_bulk(runtime, body.ids, set_rating(body.rating), dry_run=body.dry_run).as_dict()


@router.post("/pick")
def pick(body: PickRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Pick flag: picked, rejected or unflagged (independent of the keep flags)."""
    return run_bulk(runtime, body.ids, set_pick(body.pick), dry_run=body.dry_run).as_dict()


@router.post("/move", status_code=202)
def move(body: MoveRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Move photos (originals, sidecars, derivatives) to another project by an `image_move` task;
    a basename already there gets `_2`, `_3`…, a photo of the same name and another type is
    joined."""
    return request_move(runtime, body.ids, body.dest_folder, dry_run=body.dry_run)


def _project_ids(runtime: Runtime, folders: list[str] | None) -> list[int] | None:
    if folders is None:
        return None
    return [project_id_of(runtime.db, runtime.tenant, folder) for folder in folders]


@router.post("/commit-changes", status_code=202)
def commit_changes(body: ProjectsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Start `change_commit` for every project with pending deletions (or those listed): files
    not kept go to `.trash` (restorable 24 h)."""
    project_ids = _project_ids(runtime, body.projects)
    return culling.start_commit(runtime, project_ids, dry_run=body.dry_run)


@router.post("/revert-changes")
def revert_changes(body: ProjectsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Reset keep flags to availability; nothing on disk changes."""
    return culling.revert(runtime, _project_ids(runtime, body.projects), dry_run=body.dry_run)


class DryRun(BaseModel):
    dry_run: bool = False


project_router = APIRouter(prefix="/api/projects", tags=["photos"])


@project_router.post("/{folder}/commit-changes", status_code=202)
def commit_project(folder: str, runtime: RuntimeDep, body: DryRun | None = None) -> dict[str, Any]:
    project_ids = _project_ids(runtime, [folder])
    return culling.start_commit(runtime, project_ids, dry_run=bool(body and body.dry_run))


@project_router.post("/{folder}/revert-changes")
def revert_project(folder: str, runtime: RuntimeDep, body: DryRun | None = None) -> dict[str, Any]:
    project_ids = _project_ids(runtime, [folder])
    return culling.revert(runtime, project_ids, dry_run=bool(body and body.dry_run))
