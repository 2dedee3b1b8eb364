"""Listing photos: filters, stable sorts and keyset (cursor) pagination in both directions.

Every sort is (column, id), so ties never skip or repeat a photo. Cursors are opaque: the sort,
direction, the last row's key and an HMAC, so a tampered or foreign cursor is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from contactsheet.catalog.photo_counts import photos_in
from contactsheet.db.enums import Pick, ProjectStatus, Visibility
from contactsheet.db.tables import Photo, PhotoTag, Project, Tag, pending_deletion
from contactsheet.errors import InvalidInput
from contactsheet.library.names import name_key

SortName = Literal["taken_at", "filename", "size", "rating"]
SORT_COLUMNS = {
    "taken_at": Photo.taken_at,
    "filename": Photo.basename_key,
    "size": Photo.file_size,
    "rating": Photo.rating,
}
FILE_TYPES = {"jpg", "raw", "jpg+raw", "both", "other"}
KEEP_TYPES = {"any_kept", "keep_jpg", "keep_raw", "none", "pending_delete"}
ORIENTATIONS = {"portrait", "landscape", "square"}


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


@dataclass(frozen=True)
class Filters:
    project_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    file_type: str | None = None
    keep_type: str | None = None
    orientation: str | None = None
    tags: tuple[str, ...] = ()
    tags_mode: Literal["any", "all"] = "any"
    visibility: Visibility | None = None
    rating_min: int | None = None
    pick: Pick | None = None

    def validate(self) -> Filters:
        if self.file_type is not None and self.file_type not in FILE_TYPES:
            raise InvalidInput(f"file_type must be one of {sorted(FILE_TYPES)}")
        if self.keep_type is not None and self.keep_type not in KEEP_TYPES:
            raise InvalidInput(f"keep_type must be one of {sorted(KEEP_TYPES)}")
        if self.orientation is not None and self.orientation not in ORIENTATIONS:
            raise InvalidInput(f"orientation must be one of {sorted(ORIENTATIONS)}")
        if self.rating_min is not None and not 0 <= self.rating_min <= 5:
            raise InvalidInput("rating_min must be between 0 and 5")
        return self


@dataclass(frozen=True)
class Sort:
    name: SortName = "taken_at"
    descending: bool = True

    @property
    def column(self) -> Any:
        return SORT_COLUMNS[self.name]


# What a listed photo is read as: every column of `photos` but its EXIF document, in a named
# tuple (its fields read several times faster than a Row's, and a page reads 30 per photo).
LISTED_COLUMNS = [column for column in Photo.__table__.columns if column.key != "exif"]
ListedPhoto = namedtuple(  # type: ignore[misc]
    "ListedPhoto", [column.key for column in LISTED_COLUMNS] + ["folder"]
)


@dataclass
class Page:
    photos: list[Any] = field(default_factory=list)  # ListedPhoto, each with its project folder
    total: int = 0
    unfiltered_total: int = 0
    next_cursor: str | None = None
    prev_cursor: str | None = None


def scope_conditions(tenant: str, project_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [Project.tenant == tenant, Project.status == ProjectStatus.ACTIVE]
    if project_id is not None:
        conditions.append(Photo.project_id == project_id)
    return conditions


def _effective_width() -> Any:
    # Orientations 5-8 turn the stored image a quarter: what the viewer sees is the other way.
    turned = Photo.orientation.in_([5, 6, 7, 8])
    return case((turned, Photo.height), else_=Photo.width)


def _effective_height() -> Any:
    turned = Photo.orientation.in_([5, 6, 7, 8])
    return case((turned, Photo.width), else_=Photo.height)


def filter_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    if filters.date_from is not None:
        c.append(Photo.taken_at >= filters.date_from)
    if filters.date_to is not None:
        c.append(Photo.taken_at <= filters.date_to)
    jpg, raw, other = Photo.jpg_available, Photo.raw_available, Photo.other_available
    match filters.file_type:
        case "jpg":
            c.append(and_(jpg, ~raw))
        case "raw":
            c.append(and_(raw, ~jpg))
        case "jpg+raw" | "both":
            c.append(and_(jpg, raw))
        case "other":
            c.append(and_(other, ~jpg, ~raw))
    match filters.keep_type:
        case "any_kept":
            c.append(or_(Photo.keep_jpg, Photo.keep_raw))
        case "keep_jpg":
            c.append(Photo.keep_jpg)
        case "keep_raw":
            c.append(Photo.keep_raw)
        case "none":
            c.append(and_(~Photo.keep_jpg, ~Photo.keep_raw))
        case "pending_delete":  # the rule of db/tables.py, so its partial index serves it
            c.append(pending_deletion())
    if filters.orientation is not None:
        w, h = _effective_width(), _effective_height()
        known = and_(Photo.width.is_not(None), Photo.height.is_not(None))
        relation = {"portrait": h > w, "landscape": w > h, "square": w == h}[filters.orientation]
        c.append(and_(known, relation))
    if filters.tags:
        keys = sorted({name_key(t) for t in filters.tags})
        tagged = (
            select(func.count(func.distinct(Tag.name_key)))
            .select_from(PhotoTag)
            .join(Tag, Tag.id == PhotoTag.tag_id)
            .where(PhotoTag.photo_id == Photo.id, Tag.name_key.in_(keys))
            .scalar_subquery()
        )
        c.append(tagged >= (len(keys) if filters.tags_mode == "all" else 1))
    if filters.visibility is not None:
        c.append(Photo.visibility == filters.visibility)
    if filters.rating_min is not None:
        c.append(Photo.rating >= filters.rating_min)
    if filters.pick is not None:
        c.append(Photo.pick == filters.pick)
    return c


# --- cursors ---


def _encode_value(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value: Any) -> Any:
    return datetime.fromisoformat(value["t"]) if isinstance(value, dict) else value


def make_cursor(key: str, sort: Sort, value: Any, photo_id: int) -> str:
    body = json.dumps([sort.name, sort.descending, _encode_value(value), photo_id]).encode()
    mac = hmac.new(key.encode(), body, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def read_cursor(key: str, sort: Sort, cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, body = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(key.encode(), body, hashlib.sha256).digest()[:12]):
            raise ValueError("signature")
        name, descending, value, photo_id = json.loads(body)
        if name != sort.name or descending != sort.descending:
            raise ValueError("the cursor belongs to another sort")
        return _decode_value(value), int(photo_id)
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise InvalidCursor("the cursor is invalid or was made for another listing") from exc


def _after(sort: Sort, value: Any, photo_id: int, *, forward: bool) -> ColumnElement[bool]:
    """Rows after (forward) or before the key in the listing's order."""
    key = tuple_(sort.column, Photo.id)
    bound = tuple_(value, photo_id)
    ascending = not sort.descending
    return key > bound if ascending == forward else key < bound


def _order(sort: Sort, *, forward: bool) -> list[Any]:
    ascending = not sort.descending
    if ascending == forward:
        return [sort.column.asc(), Photo.id.asc()]
    return [sort.column.desc(), Photo.id.desc()]


def listing_order(sort: Sort) -> list[Any]:
    """The ORDER BY of a listing read front to back: every answer that lists photos uses it."""
    return _order(sort, forward=True)


def list_photos(
    session: Session,
    *,
    tenant: str,
    key: str,
    filters: Filters,
    sort: Sort,
    limit: int,
    cursor: str | None = None,
    before_cursor: str | None = None,
    with_totals: bool = True,
) -> Page:
    if cursor and before_cursor:
        raise InvalidInput("give cursor or before_cursor, not both")
    scope = scope_conditions(tenant, filters.project_id)
    conditions = scope + filter_conditions(filters.validate())
    # Photo.tenant (always its project's) lets the (tenant, column, id) indexes deliver a page in
    # order; without it every page sorted the whole library (PostgreSQL, 100,000 photos: a seq
    # scan and top-N sort, ~140 ms, instead of ~1 ms). Counts are faster without it.
    ordered = [*conditions, Photo.tenant == tenant]
    # Plain rows, not ORM objects (a page of objects cost more than its query), and never the
    # photo's whole EXIF document (often kilobytes of JSON per photo, decoded for nothing).
    base = select(*LISTED_COLUMNS, Project.folder).join(Project, Project.id == Photo.project_id)
    forward = before_cursor is None
    query = base.where(*ordered)
    if cursor or before_cursor:
        value, photo_id = read_cursor(key, sort, cursor or before_cursor)  # type: ignore[arg-type]
        query = query.where(_after(sort, value, photo_id, forward=forward))
    rows = session.execute(query.order_by(*_order(sort, forward=forward)).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    page = Page(photos=[ListedPhoto._make(row) for row in rows])
    if rows:
        first, last = rows[0], rows[-1]
        first_key, last_key = getattr(first, _attr(sort)), getattr(last, _attr(sort))
        if forward:
            has_next = more
            has_prev = cursor is not None and _beyond(
                session, ordered, sort, first_key, first.id, forward=False
            )
        else:
            has_prev = more
            has_next = _beyond(session, ordered, sort, last_key, last.id, forward=True)
        if has_next:
            page.next_cursor = make_cursor(key, sort, last_key, last.id)
        if has_prev:
            page.prev_cursor = make_cursor(key, sort, first_key, first.id)
    if with_totals:
        # The unfiltered total is kept by the database; only a filtered one is counted.
        page.unfiltered_total = photos_in(session, tenant, filters.project_id)
        page.total = (
            page.unfiltered_total
            if len(conditions) == len(scope)
            else session.scalar(
                select(func.count())
                .select_from(Photo)
                .join(Project, Project.id == Photo.project_id)
                .where(*conditions)
            )
            or 0
        )
    return page


def _attr(sort: Sort) -> str:
    return SORT_COLUMNS[sort.name].key  # type: ignore[no-any-return]


def sort_value(photo: Photo, sort: Sort) -> Any:
    return getattr(photo, _attr(sort))


def _beyond(
    session: Session,
    conditions: list[Any],
    sort: Sort,
    value: Any,
    photo_id: int,
    *,
    forward: bool,
) -> bool:
    """Whether any photo of the listing lies after (or before) the given key."""
    query = (
        select(Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(*conditions, _after(sort, value, photo_id, forward=forward))
        .limit(1)
    )
    return session.execute(query).first() is not None


def position_of(
    session: Session, *, tenant: str, filters: Filters, sort: Sort, photo: Photo
) -> int:
    """How many photos of the listing come before `photo`."""
    conditions = scope_conditions(tenant, filters.project_id) + filter_conditions(filters)
    value = getattr(photo, _attr(sort))
    query = (
        select(func.count())
        .select_from(Photo)
        .join(Project, Project.id == Photo.project_id)
        .where(*conditions, _after(sort, value, photo.id, forward=False))
    )
    return session.scalar(query) or 0


def cursor_at(
    session: Session, *, tenant: str, key: str, filters: Filters, sort: Sort, position: int
) -> str | None:
    """The cursor of a page that starts at `position` (0-based): the key of the photo just before
    it, read without loading the photos in between. A database skips rows one by one, so a
    position in the second half is counted from the end (the listing read backwards): a jump to
    the last page of 50,000 photos skips a handful of rows, not 49,900. None for the start; past
    the end, the cursor after the last photo."""
    if position <= 0:
        return None
    conditions = scope_conditions(tenant, filters.project_id) + filter_conditions(filters)
    keys = (
        select(SORT_COLUMNS[sort.name], Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(*conditions, Photo.tenant == tenant)
    )
    total = (
        session.scalar(
            select(func.count())
            .select_from(Photo)
            .join(Project, Project.id == Photo.project_id)
            .where(*conditions)
        )
        or 0
    )
    if total == 0:
        return None
    before = min(position, total) - 1  # index of the photo just before the page
    if before < total // 2:
        query = keys.order_by(*_order(sort, forward=True)).offset(before)
    else:
        query = keys.order_by(*_order(sort, forward=False)).offset(total - 1 - before)
    row = session.execute(query.limit(1)).first()
    if row is None:
        # The listing shrank between the count and the read: the page starts after its last
        # photo (an empty page the client reads as "past the end"), never back at the start.
        row = session.execute(keys.order_by(*_order(sort, forward=False)).limit(1)).first()
        if row is None:
            return None
    value, photo_id = row
    return make_cursor(key, sort, value, photo_id)


def matches(session: Session, *, tenant: str, filters: Filters, photo_id: int) -> bool:
    conditions = scope_conditions(tenant, filters.project_id) + filter_conditions(filters)
    query = select(Photo.id).join(Project, Project.id == Photo.project_id)
    return session.execute(query.where(Photo.id == photo_id, *conditions)).first() is not None
