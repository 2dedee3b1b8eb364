"""Shared links as the photographer manages them, and as a visitor's key opens them.

A visitor only ever sees a link's *public* photos of active projects: every anonymous question
(the gallery's pages, an asset, a download, a zip) goes through `open_link` and `public_photos`,
so no route can forget the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from contactsheet.catalog.bulk import MAX_ITEMS
from contactsheet.catalog.listing import Sort, make_cursor, read_cursor
from contactsheet.clock import utcnow
from contactsheet.db.chunks import chunked
from contactsheet.db.enums import ProjectStatus, Visibility
from contactsheet.db.tables import Photo, Project, SharedLink, SharedLinkPhoto
from contactsheet.errors import InvalidInput, NotFound
from contactsheet.runtime import Runtime
from contactsheet.sharing.keys import key_digest, new_key, plausible, same_key

GALLERY_ORDER = Sort("taken_at", descending=False)
EDITABLE = ("title", "description", "expires_at", "allow_downloads", "show_location")


class LinkNotFound(NotFound):
    """The same answer for a key that never existed, was regenerated or has expired."""

    code = "not_found"

    def __init__(self) -> None:
        super().__init__("no such shared link")


@dataclass(frozen=True)
class OpenLink:
    """A link a visitor's key opened: what the anonymous routes may use."""

    id: int
    key: str
    title: str
    description: str
    expires_at: datetime | None
    allow_downloads: bool
    show_location: bool


def _expired(link: SharedLink, now: datetime) -> bool:
    return link.expires_at is not None and link.expires_at <= now


def _counts(session: Session, link_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(photos, public photos) of each link, counting only photos of active projects."""
    if not link_ids:
        return {}
    public = func.count().filter(Photo.visibility == Visibility.PUBLIC)
    rows = session.execute(
        select(SharedLinkPhoto.link_id, func.count(), public)
        .join(Photo, Photo.id == SharedLinkPhoto.photo_id)
        .join(Project, Project.id == Photo.project_id)
        .where(SharedLinkPhoto.link_id.in_(link_ids), Project.status == ProjectStatus.ACTIVE)
        .group_by(SharedLinkPhoto.link_id)
    )
    return {link_id: (int(total), int(shown or 0)) for link_id, total, shown in rows}


def link_view(link: SharedLink, counts: tuple[int, int], now: datetime) -> dict[str, Any]:
    return {
        "id": link.id,
        "key": link.key,
        "url": f"/shared/{link.key}",
        "title": link.title,
        "description": link.description,
        "created_at": link.created_at.isoformat(),
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        "expired": _expired(link, now),
        "allow_downloads": link.allow_downloads,
        "show_location": link.show_location,
        "photo_count": counts[0],
        "public_count": counts[1],
    }


def _load(session: Session, tenant: str, link_id: int) -> SharedLink:
    link = session.get(SharedLink, link_id)
    if link is None or link.tenant != tenant:
        raise NotFound(f"no shared link {link_id}")
    return link


def _view(session: Session, link: SharedLink) -> dict[str, Any]:
    session.flush()
    return link_view(link, _counts(session, [link.id]).get(link.id, (0, 0)), utcnow())


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput("the title must not be empty")
    return cleaned


def list_links(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.db.read() as session:
        links = list(
            session.scalars(
                select(SharedLink)
                .where(SharedLink.tenant == runtime.tenant)
                .order_by(SharedLink.id.desc())
            )
        )
        counts = _counts(session, [link.id for link in links])
        now = utcnow()
        return [link_view(link, counts.get(link.id, (0, 0)), now) for link in links]


def get_link(runtime: Runtime, link_id: int) -> dict[str, Any]:
    with runtime.db.read() as session:
        return _view(session, _load(session, runtime.tenant, link_id))


def create_link(
    runtime: Runtime, *, photo_ids: list[int], **fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new link holding `photo_ids`; with the photos that could not be added."""
    key = new_key()
    with runtime.db.write() as session:
        link = SharedLink(
            tenant=runtime.tenant,
            key=key,
            key_digest=key_digest(key),
            title=_clean_title(fields.pop("title")),
            **fields,
        )
        session.add(link)
        session.flush()
        _, failed = _add(session, runtime.tenant, link.id, photo_ids)
        return _view(session, link), failed


def update_link(runtime: Runtime, link_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    with runtime.db.write() as session:
        link = _load(session, runtime.tenant, link_id)
        for name, value in changes.items():
            if name not in EDITABLE:
                raise InvalidInput(f"{name} cannot be changed")
            setattr(link, name, _clean_title(value) if name == "title" else value)
        return _view(session, link)


def delete_link(runtime: Runtime, link_id: int) -> None:
    with runtime.db.write() as session:
        session.delete(_load(session, runtime.tenant, link_id))


def regenerate_key(runtime: Runtime, link_id: int) -> dict[str, Any]:
    """A new key; the old one answers 404 from this commit on."""
    with runtime.db.write() as session:
        link = _load(session, runtime.tenant, link_id)
        link.key = new_key()
        link.key_digest = key_digest(link.key)
        return _view(session, link)


def _existing(session: Session, tenant: str, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(sorted(set(ids))):
        found.update(
            session.scalars(
                select(Photo.id)
                .join(Project, Project.id == Photo.project_id)
                .where(
                    Photo.id.in_(chunk),
                    Project.tenant == tenant,
                    Project.status == ProjectStatus.ACTIVE,
                )
            )
        )
    return found


def _insert_new(session: Session, link_id: int, photo_ids: list[int]) -> int:
    """Put the photos in the link; one already there (or added by a request at the same moment)
    stays as it is. How many were not there before."""
    present = set(
        session.scalars(
            select(SharedLinkPhoto.photo_id).where(
                SharedLinkPhoto.link_id == link_id, SharedLinkPhoto.photo_id.in_(photo_ids)
            )
        )
    )
    now = utcnow()
    rows = [
        {"link_id": link_id, "photo_id": pid, "added_at": now}
        for pid in photo_ids
        if pid not in present
    ]
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.connection().execute(
            insert(SharedLinkPhoto).on_conflict_do_nothing(index_elements=["link_id", "photo_id"]),
            rows,
        )
    return len(rows)


def _check_size(ids: list[int]) -> None:
    if len(ids) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} photos per request")


def _add(
    session: Session, tenant: str, link_id: int, ids: list[int]
) -> tuple[int, list[dict[str, Any]]]:
    _check_size(ids)
    existing = _existing(session, tenant, ids)
    failed = [{"photo_id": pid, "error": "no such photo"} for pid in sorted(set(ids) - existing)]
    added = 0
    for chunk in chunked(sorted(existing), 1000):
        added += _insert_new(session, link_id, chunk)
    return added, failed


def change_photos(
    runtime: Runtime, link_id: int, add: list[int], remove: list[int]
) -> dict[str, Any]:
    _check_size(remove)
    with runtime.db.write() as session:
        link = _load(session, runtime.tenant, link_id)
        added, failed = _add(session, runtime.tenant, link.id, add)
        removed = 0
        for chunk in chunked(sorted(set(remove))):
            removed += int(
                session.execute(
                    delete(SharedLinkPhoto).where(
                        SharedLinkPhoto.link_id == link.id, SharedLinkPhoto.photo_id.in_(chunk)
                    )
                ).rowcount  # type: ignore[attr-defined]
                or 0
            )
        return {"added": added, "removed": removed, "failed": failed, "link": _view(session, link)}


def link_photos(
    runtime: Runtime, link_id: int, cursor: str | None, limit: int
) -> tuple[list[tuple[Photo, str]], str | None]:
    """Every photo of the link (public or not) with its project folder: the admin's view."""
    with runtime.db.read() as session:
        link = _load(session, runtime.tenant, link_id)
        return _page(session, runtime, link.id, cursor, limit, public_only=False)


# --- what a visitor's key opens ---


def _opened(link: SharedLink | None) -> OpenLink:
    if link is None or _expired(link, utcnow()):
        raise LinkNotFound
    return OpenLink(
        link.id,
        link.key,
        link.title,
        link.description,
        link.expires_at,
        link.allow_downloads,
        link.show_location,
    )


def link_by_id(runtime: Runtime, link_id: int) -> OpenLink:
    """The link an asset URL names (its hash, made with the link's key, is checked by the
    caller); `LinkNotFound` when it is gone or expired."""
    with runtime.db.read() as session:
        link = session.get(SharedLink, link_id)
        return _opened(link if link is not None and link.tenant == runtime.tenant else None)


def open_link(runtime: Runtime, key: str) -> OpenLink:
    """The link `key` opens now; `LinkNotFound` for any key that does not (unknown, replaced by
    a regeneration, expired), with nothing to tell them apart."""
    if not plausible(key):
        raise LinkNotFound
    with runtime.db.read() as session:
        link = session.scalar(
            select(SharedLink).where(
                SharedLink.key_digest == key_digest(key), SharedLink.tenant == runtime.tenant
            )
        )
        if link is None or not same_key(link.key, key):
            raise LinkNotFound
        return _opened(link)


def _page(
    session: Session,
    runtime: Runtime,
    link_id: int,
    cursor: str | None,
    limit: int,
    *,
    public_only: bool,
) -> tuple[list[tuple[Photo, str]], str | None]:
    signing_key = f"{runtime.secret_key}:shared-link:{link_id}"
    query = (
        select(Photo, Project.folder)
        .options(defer(Photo.exif))
        .join(SharedLinkPhoto, SharedLinkPhoto.photo_id == Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(SharedLinkPhoto.link_id == link_id, Project.status == ProjectStatus.ACTIVE)
    )
    if public_only:
        query = query.where(Photo.visibility == Visibility.PUBLIC)
    if cursor:
        taken_at, after_id = read_cursor(signing_key, GALLERY_ORDER, cursor)
        query = query.where(
            (Photo.taken_at > taken_at) | ((Photo.taken_at == taken_at) & (Photo.id > after_id))
        )
    rows = session.execute(query.order_by(Photo.taken_at, Photo.id).limit(limit + 1)).all()
    page = [(photo, folder) for photo, folder in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = make_cursor(signing_key, GALLERY_ORDER, last.taken_at, last.id)
    return page, next_cursor


def public_photos(
    runtime: Runtime, link: OpenLink, cursor: str | None, limit: int
) -> tuple[list[tuple[Photo, str]], str | None, int]:
    """A page of the link's public photos (taken_at, then id: a cursor never skips or repeats),
    the next page's cursor, and how many public photos the link shows."""
    with runtime.db.read() as session:
        page, next_cursor = _page(session, runtime, link.id, cursor, limit, public_only=True)
        total = _counts(session, [link.id]).get(link.id, (0, 0))[1]
        return page, next_cursor, total


def shared_photo_ids(runtime: Runtime, link: OpenLink, ids: list[int] | None) -> list[int]:
    """The link's public photos among `ids` (all of them when None), in gallery order."""
    with runtime.db.read() as session:
        query = (
            select(Photo.id)
            .join(SharedLinkPhoto, SharedLinkPhoto.photo_id == Photo.id)
            .join(Project, Project.id == Photo.project_id)
            .where(
                SharedLinkPhoto.link_id == link.id,
                Project.status == ProjectStatus.ACTIVE,
                Photo.visibility == Visibility.PUBLIC,
            )
            .order_by(Photo.taken_at, Photo.id)
        )
        if ids is None:
            return list(session.scalars(query))
        found: set[int] = set()
        for chunk in chunked(sorted(set(ids))):
            found.update(session.scalars(query.where(Photo.id.in_(chunk))))
        return [pid for pid in session.scalars(query) if pid in found]
