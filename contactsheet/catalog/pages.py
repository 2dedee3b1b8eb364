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
    with runtime.db.read() as session:
        if ids_only:
            ids = _listed_ids(session, runtime.tenant, listing)
        else:
            rows = session.execute(
                _matching(runtime.tenant, listing, Photo.id, Project.folder, Photo.basename)
            ).all()
    if ids_only:
        return {"ids": _within_cap(ids), "total": len(ids), "fields": ["id"]}
    return {
        "items": [[pid, folder, name] for pid, folder, name in _within_cap(rows)],
        "total": len(rows),
        "fields": ["id", "project_folder", "basename"],
    }


def _matching(tenant: str, listing: Listing, *columns: Any) -> Any:
    """`columns` of the listing's photos in its order, one past the cap."""
    filters = listing.filters
    return (
        select(*columns)
        .join(Project, Project.id == Photo.project_id)
        .where(*scope_conditions(tenant, filters.project_id), *filter_conditions(filters))
        .order_by(*listing_order(listing.sort))
        .limit(ALL_KEYS_CAP + 1)
    )


def _listed_ids(session: Session, tenant: str, listing: Listing) -> list[int]:
    filters = listing.filters
    if filter_conditions(filters):
        return list(session.scalars(_matching(tenant, listing, Photo.id)))
    # Unfiltered, the ids come from a sort index alone, without visiting a photo's row; the
    # photos of projects that are not active (usually none) are left out afterwards.
    inactive = (
        select(Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(Photo.tenant == tenant, Project.status != ProjectStatus.ACTIVE)
    )
    query = select(Photo.id).where(Photo.tenant == tenant)
    if filters.project_id is not None:
        inactive = inactive.where(Photo.project_id == filters.project_id)
        query = query.where(Photo.project_id == filters.project_id)
    hidden = set(session.scalars(inactive))
    query = query.order_by(*listing_order(listing.sort)).limit(ALL_KEYS_CAP + len(hidden) + 1)
    return [photo_id for photo_id in session.scalars(query) if photo_id not in hidden]


def _within_cap(found: list[Any]) -> list[Any]:
    if len(found) > ALL_KEYS_CAP:
        raise PayloadTooLarge(
            f"more than {ALL_KEYS_CAP} photos match; narrow the filters (a project, dates, tags)"
        )
    return found


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
