"""Listing photos: per project and across the library, with filters, sorts and cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoId, Text
from contactsheet.catalog import pages
from contactsheet.catalog.culling import pending_summary
from contactsheet.catalog.listing import Filters, Sort
from contactsheet.catalog.projects import project_id_of
from contactsheet.db.enums import Pick, Visibility
from contactsheet.errors import InvalidInput
from contactsheet.runtime import Runtime

router = APIRouter(tags=["photos"])


@dataclass
class ListParams:
    sort: Literal["taken_at", "filename", "size", "rating"] = "taken_at"
    dir: Literal["asc", "desc"] = "desc"
    limit: int = 100
    date_from: datetime | None = None
    date_to: datetime | None = None
    file_type: str | None = None
    keep_type: str | None = None
    orientation: str | None = None
    tags: str | None = None
    tags_mode: Literal["any", "all"] = "any"
    visibility: Visibility | None = None
    rating_min: int | None = None
    pick: Pick | None = None
    include: str | None = None


async def list_params(
    sort: Literal["taken_at", "filename", "size", "rating"] = "taken_at",
    dir: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    file_type: Annotated[str | None, Query(description="jpg, raw, jpg+raw, other")] = None,
    keep_type: Annotated[
        str | None, Query(description="any_kept, keep_jpg, keep_raw, none, pending_delete")
    ] = None,
    orientation: Annotated[str | None, Query(description="portrait, landscape, square")] = None,
    tags: Annotated[Text | None, Query(description="comma-separated tag names")] = None,
    tags_mode: Literal["any", "all"] = "any",
    visibility: Visibility | None = None,
    rating_min: Annotated[int | None, Query(ge=0, le=5)] = None,
    pick: Pick | None = None,
    include: Annotated[str | None, Query(description="`tags` to add each photo's tags")] = None,
) -> ListParams:
    for moment in (date_from, date_to):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput("date_from/date_to need a time zone, e.g. 2026-05-01T00:00:00Z")
    return ListParams(
        sort,
        dir,
        limit,
        date_from,
        date_to,
        file_type,
        keep_type,
        orientation,
        tags,
        tags_mode,
        visibility,
        rating_min,
        pick,
        include,
    )


Params = Annotated[ListParams, Depends(list_params)]
# Beyond any library's size: a position past the end answers the last page's neighbour (empty).
Offset = Annotated[
    int | None, Query(ge=0, le=10_000_000, description="start the page at this position")
]


def filters_of(params: ListParams, project_id: int | None) -> Filters:
    tags = tuple(t.strip() for t in (params.tags or "").split(",") if t.strip())
    return Filters(
        project_id=project_id,
        date_from=params.date_from,
        date_to=params.date_to,
        file_type=params.file_type,
        keep_type=params.keep_type,
        orientation=params.orientation,
        tags=tags,
        tags_mode=params.tags_mode,
        visibility=params.visibility,
        rating_min=params.rating_min,
        pick=params.pick,
    ).validate()


def listing_of(runtime: Runtime, params: ListParams, folder: str | None) -> pages.Listing:
    project_id = project_id_of(runtime.db, runtime.tenant, folder) if folder else None
    return pages.Listing(
        filters=filters_of(params, project_id),
        sort=Sort(params.sort, params.dir == "desc"),
        limit=params.limit,
        with_tags=bool(params.include and "tags" in params.include.split(",")),
    )


@router.get("/api/projects/{folder}/photos")
def project_photos(
    folder: str,
    runtime: RuntimeDep,
    params: Params,
    cursor: str | None = None,
    before_cursor: str | None = None,
    offset: Offset = None,
) -> dict[str, Any]:
    """A page of the project's photos. Follow `next_cursor` (as `cursor`) or `prev_cursor`
    (as `before_cursor`), or jump with `offset`; sorts are stable (ties broken by id)."""
    listing = listing_of(runtime, params, folder)
    page = pages.photo_page(
        runtime, listing, cursor=cursor, before_cursor=before_cursor, offset=offset
    )
    return JSONResponse(page)  # already plain JSON: not validated again in a worker thread


@router.get("/api/photos")
def all_photos(
    runtime: RuntimeDep,
    params: Params,
    cursor: str | None = None,
    before_cursor: str | None = None,
    project: Annotated[str | None, Query(description="limit to one project folder")] = None,
    offset: Offset = None,
) -> dict[str, Any]:
    """A page of photos across every project (All Photos)."""
    listing = listing_of(runtime, params, project)
    page = pages.photo_page(
        runtime, listing, cursor=cursor, before_cursor=before_cursor, offset=offset
    )
    return JSONResponse(page)  # already plain JSON: not validated again in a worker thread


@router.get("/api/photos/locate-page")
def locate_page(
    runtime: RuntimeDep,
    params: Params,
    photo_id: PhotoId,
    project: str | None = None,
) -> dict[str, Any]:
    """The page (of `limit`) that holds `photo_id` under these filters and sort, with cursors, so a
    viewer opened from a link can show the photo in its place in the grid."""
    return pages.locate_page(runtime, listing_of(runtime, params, project), photo_id)


@router.get("/api/photos/all-keys")
def all_keys(
    runtime: RuntimeDep,
    params: Params,
    project: str | None = None,
    fields: Annotated[
        Literal["id", "id,project_folder,basename"],
        Query(description="`id` for the ids alone, as `ids` (compact, faster)"),
    ] = "id,project_folder,basename",
) -> JSONResponse:
    """Every matching photo's id, project folder and basename (for select-all), in listing
    order; more than 100,000 answers 413 with advice to narrow the filters."""
    listing = listing_of(runtime, params, project)
    return JSONResponse(pages.all_keys(runtime, listing, ids_only=fields == "id"))


@router.get("/api/photos/pending-deletes")
def pending_deletes(runtime: RuntimeDep) -> dict[str, Any]:
    """What a commit would remove: per project and in total (photos, JPG files, RAW files)."""
    return pending_summary(runtime)


@router.get("/api/projects/{folder}/tags")
def project_tags(folder: str, runtime: RuntimeDep) -> dict[str, Any]:
    """The project's tags with how many photos carry each."""
    return {"items": pages.tag_counts(runtime, project_id_of(runtime.db, runtime.tenant, folder))}
