"""Listing photos: per project and across the library, with filters, sorts and cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import PhotoId, Text
from contactsheet.catalog.bulk import tags_of
from contactsheet.catalog.commit import pending_counts
from contactsheet.catalog.listing import (
    Filters,
    Page,
    Sort,
    filter_conditions,
    list_photos,
    make_cursor,
    matches,
    position_of,
    scope_conditions,
    sort_value,
)
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import DerivativeStatus, Pick, Visibility
from contactsheet.db.tables import Derivative, Photo, PhotoTag, Project, Tag
from contactsheet.errors import InvalidInput, PayloadTooLarge
from contactsheet.runtime import Runtime

router = APIRouter(tags=["photos"])
ALL_KEYS_CAP = 100_000


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


def list_params(
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


def sort_of(params: ListParams) -> Sort:
    return Sort(params.sort, params.dir == "desc")


def _statuses(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    """Per photo: each kind's status, and under "warning" what was wrong with a source shown anyway
    (every kind comes from the same decode, so they share it)."""
    found: dict[int, dict[str, str]] = {}
    rows = session.execute(
        select(Derivative.photo_id, Derivative.kind, Derivative.status, Derivative.warning).where(
            Derivative.photo_id.in_(ids)
        )
    )
    for photo_id, kind, status, warning in rows:
        found.setdefault(photo_id, {})[kind] = status
        if warning:
            found[photo_id]["warning"] = warning
    return found


def photo_item(photo: Photo, folder: str, statuses: dict[str, str]) -> dict[str, Any]:
    base = f"/api/projects/{quote(folder)}"
    name = quote(photo.basename)
    return {
        "id": photo.id,
        "project_id": photo.project_id,
        "project_folder": folder,
        "basename": photo.basename,
        "filenames": photo.filenames,
        "jpg_available": photo.jpg_available,
        "raw_available": photo.raw_available,
        "other_available": photo.other_available,
        "keep_jpg": photo.keep_jpg,
        "keep_raw": photo.keep_raw,
        "file_size": photo.file_size,
        "taken_at": photo.taken_at.isoformat(),
        "date_time_original": photo.date_time_original,
        "orientation": photo.orientation,
        "width": photo.width,
        "height": photo.height,
        "metadata": {
            "make": photo.make,
            "model": photo.model,
            "lens": photo.lens,
            "exposure_time": photo.exposure_time,
            "f_number": photo.f_number,
            "iso": photo.iso,
            "focal_length": photo.focal_length,
            "gps": [photo.gps_lat, photo.gps_lon] if photo.gps_lat is not None else None,
        },
        "visibility": photo.visibility,
        "rating": photo.rating,
        "pick": photo.pick,
        "thumbhash": photo.thumbhash,
        "thumbnail_status": statuses.get("thumbnail", DerivativeStatus.PENDING),
        "preview_status": statuses.get("preview", DerivativeStatus.PENDING),
        "derivative_warning": statuses.get("warning"),
        "thumbnail_url": f"{base}/thumbnail/{name}",
        "preview_url": f"{base}/preview/{name}",
        "image_url": f"{base}/image/{name}",
    }


def page_body(session: Session, page: Page, include: str | None) -> dict[str, Any]:
    ids = [photo.id for photo, _ in page.photos]
    statuses = _statuses(session, ids)
    tags = tags_of(session, ids) if include and "tags" in include.split(",") else None
    items = []
    for photo, folder in page.photos:
        item = photo_item(photo, folder, statuses.get(photo.id, {}))
        if tags is not None:
            item["tags"] = tags.get(photo.id, [])
        items.append(item)
    return {
        "items": items,
        "total": page.total,
        "unfiltered_total": page.unfiltered_total,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }


def _list(
    runtime: Runtime,
    params: ListParams,
    project_id: int | None,
    cursor: str | None,
    before_cursor: str | None,
) -> dict[str, Any]:
    with runtime.db.read() as session:
        page = list_photos(
            session,
            tenant=runtime.tenant,
            key=runtime.secret_key,
            filters=filters_of(params, project_id),
            sort=sort_of(params),
            limit=params.limit,
            cursor=cursor,
            before_cursor=before_cursor,
        )
        return page_body(session, page, params.include)


def _project_id(runtime: Runtime, folder: str) -> int:
    with runtime.db.read() as session:
        return find_project(session, runtime.tenant, folder).id


@router.get("/api/projects/{folder}/photos")
def project_photos(
    folder: str,
    runtime: RuntimeDep,
    params: Params,
    cursor: str | None = None,
    before_cursor: str | None = None,
) -> dict[str, Any]:
    """A page of the project's photos. Follow `next_cursor` (as `cursor`) or `prev_cursor`
    (as `before_cursor`); sorts are stable (ties broken by id)."""
    return _list(runtime, params, _project_id(runtime, folder), cursor, before_cursor)


@router.get("/api/photos")
def all_photos(
    runtime: RuntimeDep,
    params: Params,
    cursor: str | None = None,
    before_cursor: str | None = None,
    project: Annotated[str | None, Query(description="limit to one project folder")] = None,
) -> dict[str, Any]:
    """A page of photos across every project (All Photos)."""
    project_id = _project_id(runtime, project) if project else None
    return _list(runtime, params, project_id, cursor, before_cursor)


@router.get("/api/photos/locate-page")
def locate_page(
    runtime: RuntimeDep,
    params: Params,
    photo_id: PhotoId,
    project: str | None = None,
) -> dict[str, Any]:
    """The page (of `limit`) that holds `photo_id` under these filters and sort, with cursors, so a
    viewer opened from a link can show the photo in its place in the grid."""
    project_id = _project_id(runtime, project) if project else None
    filters, sort = filters_of(params, project_id), sort_of(params)
    with runtime.db.read() as session:
        photo = session.get(Photo, photo_id)
        if photo is None or not matches(
            session, tenant=runtime.tenant, filters=filters, photo_id=photo_id
        ):
            raise InvalidInput("the photo is not in this listing")
        position = position_of(
            session, tenant=runtime.tenant, filters=filters, sort=sort, photo=photo
        )
        start = position - position % params.limit
        # The page starts right after the photo at index start-1 (or at the beginning).
        cursor = None
        if start:
            anchor = list_photos(
                session,
                tenant=runtime.tenant,
                key=runtime.secret_key,
                filters=filters,
                sort=sort,
                limit=start,
                with_totals=False,
            ).photos[-1][0]
            cursor = make_cursor(runtime.secret_key, sort, sort_value(anchor, sort), anchor.id)
        page = list_photos(
            session,
            tenant=runtime.tenant,
            key=runtime.secret_key,
            filters=filters,
            sort=sort,
            limit=params.limit,
            cursor=cursor,
        )
        body = page_body(session, page, params.include)
    body["position"] = position
    body["page_index"] = position // params.limit
    return body


@router.get("/api/photos/all-keys")
def all_keys(runtime: RuntimeDep, params: Params, project: str | None = None) -> JSONResponse:
    """Every matching photo's id, project folder and basename (for select-all), in listing
    order; more than 100,000 answers 413 with advice to narrow the filters."""
    project_id = _project_id(runtime, project) if project else None
    filters, sort = filters_of(params, project_id), sort_of(params)
    conditions = scope_conditions(runtime.tenant, project_id) + filter_conditions(filters)
    order = [sort.column.desc(), Photo.id.desc()] if sort.descending else [sort.column, Photo.id]
    query = (
        select(Photo.id, Project.folder, Photo.basename)
        .join(Project, Project.id == Photo.project_id)
        .where(*conditions)
        .order_by(*order)
        .limit(ALL_KEYS_CAP + 1)
    )
    with runtime.db.read() as session:
        rows = session.execute(query).all()
    if len(rows) > ALL_KEYS_CAP:
        raise PayloadTooLarge(
            f"more than {ALL_KEYS_CAP} photos match; narrow the filters (a project, dates, tags)"
        )
    return JSONResponse(
        {
            "items": [[pid, folder, name] for pid, folder, name in rows],
            "total": len(rows),
            "fields": ["id", "project_folder", "basename"],
        }
    )


@router.get("/api/photos/pending-deletes")
def pending_deletes(runtime: RuntimeDep) -> dict[str, Any]:
    """What a commit would remove: per project and in total (photos, JPG files, RAW files)."""
    by_project = pending_counts(runtime)
    total = {key: sum(p[key] for p in by_project) for key in ("photos", "jpg", "raw")}
    return {"total": total, "by_project": by_project}


@router.get("/api/projects/{folder}/tags")
def project_tags(folder: str, runtime: RuntimeDep) -> dict[str, Any]:
    """The project's tags with how many photos carry each."""
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        rows = session.execute(
            select(Tag.name, func.count(PhotoTag.photo_id))
            .outerjoin(PhotoTag, PhotoTag.tag_id == Tag.id)
            .where(Tag.project_id == project.id)
            .group_by(Tag.id, Tag.name)
            .order_by(Tag.name_key)
        ).all()
    return {"items": [{"name": name, "photos": n} for name, n in rows]}
