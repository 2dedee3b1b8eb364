"""What the photo grid asks for: a page, the page that holds a photo, every key of a listing (for
select-all), and the tags of a project with their counts. Filters, sorts and cursors are
`catalog/listing.py`'s; this module turns them into answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactsheet.catalog.listing import (
    Filters,
    Page,
    Sort,
    cursor_at,
    filter_conditions,
    list_photos,
    listing_order,
    matches,
    position_of,
    scope_conditions,
)
from contactsheet.catalog.photo_view import photo_items
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, PhotoTag, Project, Tag
from contactsheet.errors import InvalidInput, PayloadTooLarge
from contactsheet.runtime import Runtime

# Select-all beyond this is not a selection anyone makes by hand; narrowing is the answer.
ALL_KEYS_CAP = 100_000


@dataclass(frozen=True)
class Listing:
    filters: Filters
    sort: Sort
    limit: int = 100
    with_tags: bool = False


def _body(session: Session, page: Page, listing: Listing) -> dict[str, Any]:
    return {
        "items": photo_items(session, page.photos, with_tags=listing.with_tags),
        "total": page.total,
        "unfiltered_total": page.unfiltered_total,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }


def photo_page(
    runtime: Runtime,
    listing: Listing,
    *,
    cursor: str | None = None,
    before_cursor: str | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    """One page of the listing: after `cursor`, before `before_cursor`, or starting at `offset`
    (a position in the listing, for a jump to any part of it)."""
    if offset is not None and (cursor or before_cursor):
        raise InvalidInput("give offset or a cursor, not both")
    with runtime.db.read() as session:
        if offset is not None:
            cursor = cursor_at(
                session,
                tenant=runtime.tenant,
                key=runtime.secret_key,
                filters=listing.filters,
                sort=listing.sort,
                position=offset,
            )
        page = list_photos(
            session,
            tenant=runtime.tenant,
            key=runtime.secret_key,
            filters=listing.filters,
            sort=listing.sort,
            limit=listing.limit,
            cursor=cursor,
            before_cursor=before_cursor,
        )
        return _body(session, page, listing)


def locate_page(runtime: Runtime, listing: Listing, photo_id: int) -> dict[str, Any]:
    """The page that holds `photo_id`, with its cursors, `position` and `page_index`, so a viewer
    opened from a link shows the photo in its place in the grid."""
    filters, sort, limit = listing.filters, listing.sort, listing.limit
    with runtime.db.read() as session:
        photo = session.get(Photo, photo_id)
        if photo is None or not matches(
            session, tenant=runtime.tenant, filters=filters, photo_id=photo_id
        ):
            raise InvalidInput("the photo is not in this listing")
        position = position_of(
            session, tenant=runtime.tenant, filters=filters, sort=sort, photo=photo
        )
        start = position - position % limit
        cursor = cursor_at(
            session,
            tenant=runtime.tenant,
            key=runtime.secret_key,
            filters=filters,
            sort=sort,
            position=start,
        )
        page = list_photos(
            session,
            tenant=runtime.tenant,
            key=runtime.secret_key,
            filters=filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        body = _body(session, page, listing)
    return body | {"position": position, "page_index": position // limit}


def all_keys(runtime: Runtime, listing: Listing, *, ids_only: bool = False) -> dict[str, Any]:
    """Every matching photo's id, project folder and basename, in the listing's order; with
    `ids_only`, the ids alone (what select-all needs, in a third of the time)."""
    if ids_only:
        with runtime.db.read() as session:
            ids = _listed_ids(session, runtime.tenant, listing)
        return {"ids": ids, "total": len(ids), "fields": ["id"]}
    conditions = scope_conditions(runtime.tenant, listing.filters.project_id) + filter_conditions(
        listing.filters
    )
    query = (
        select(Photo.id, Project.folder, Photo.basename)
        .join(Project, Project.id == Photo.project_id)
        .where(*conditions)
        .order_by(*listing_order(listing.sort))
        .limit(ALL_KEYS_CAP + 1)
    )
    with runtime.db.read() as session:
        rows = session.execute(query).all()
    _within_cap(len(rows))
    return {
        "items": [[pid, folder, name] for pid, folder, name in rows],
        "total": len(rows),
        "fields": ["id", "project_folder", "basename"],
    }


def _listed_ids(session: Session, tenant: str, listing: Listing) -> list[int]:
    filters = listing.filters
    order = listing_order(listing.sort)
    if filter_conditions(filters):
        query = (
            select(Photo.id)
            .join(Project, Project.id == Photo.project_id)
            .where(*scope_conditions(tenant, filters.project_id), *filter_conditions(filters))
        )
        ids = list(session.scalars(query.order_by(*order).limit(ALL_KEYS_CAP + 1)))
        _within_cap(len(ids))
        return ids
    # Unfiltered, the ids come from a sort index alone, without visiting a photo's row; the
    # photos of projects that are not active (usually none) are left out afterwards.
    query = select(Photo.id).where(Photo.tenant == tenant)
    if filters.project_id is not None:
        query = query.where(Photo.project_id == filters.project_id)
    inactive = (
        select(Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(Photo.tenant == tenant, Project.status != ProjectStatus.ACTIVE)
    )
    if filters.project_id is not None:
        inactive = inactive.where(Photo.project_id == filters.project_id)
    hidden = set(session.scalars(inactive))
    ids = list(session.scalars(query.order_by(*order).limit(ALL_KEYS_CAP + len(hidden) + 1)))
    if hidden:
        ids = [photo_id for photo_id in ids if photo_id not in hidden]
    _within_cap(len(ids))
    return ids


def _within_cap(found: int) -> None:
    if found > ALL_KEYS_CAP:
        raise PayloadTooLarge(
            f"more than {ALL_KEYS_CAP} photos match; narrow the filters (a project, dates, tags)"
        )


def tag_counts(runtime: Runtime, project_id: int) -> list[dict[str, Any]]:
    """The project's tags, by name, with how many photos carry each."""
    with runtime.db.read() as session:
        rows = session.execute(
            select(Tag.name, func.count(PhotoTag.photo_id))
            .outerjoin(PhotoTag, PhotoTag.tag_id == Tag.id)
            .where(Tag.project_id == project_id)
            .group_by(Tag.id, Tag.name)
            .order_by(Tag.name_key)
        ).all()
    return [{"name": name, "photos": n} for name, n in rows]
