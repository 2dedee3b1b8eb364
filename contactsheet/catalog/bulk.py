"""Bulk edits of photos: keep flags, tags, visibility, rating, pick.

The rules of every bulk request: at most 2,000 items; one transaction; per-item failures are
reported without failing the rest; `dry_run` computes the same answer and rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contactsheet.db.enums import Pick, ProjectStatus, Visibility
from contactsheet.db.tables import Photo, PhotoTag, Project, Tag
from contactsheet.errors import InvalidInput
from contactsheet.library.names import clean_display_name, name_key
from contactsheet.runtime import Runtime

MAX_ITEMS = 2000


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


class Rollback(Exception):
    """Raised inside the transaction of a dry run so nothing is kept."""


def check_size(items: Sequence[object]) -> None:
    if not items:
        raise InvalidInput("items must not be empty")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items per request")


def load_photos(session: Session, tenant: str, ids: Sequence[int]) -> dict[int, Photo]:
    rows = session.scalars(
        select(Photo)
        .join(Project, Project.id == Photo.project_id)
        .where(
            Photo.id.in_(sorted(set(ids))),
            Project.tenant == tenant,
            Project.status == ProjectStatus.ACTIVE,
        )
    )
    return {photo.id: photo for photo in rows}


Edit = Callable[[Session, Photo], bool]  # returns whether it changed; raises InvalidInput to fail


def apply_edit(session: Session, tenant: str, ids: Sequence[int], edit: Edit) -> BulkResult:
    result = BulkResult()
    photos = load_photos(session, tenant, ids)
    for photo_id in dict.fromkeys(ids):
        photo = photos.get(photo_id)
        if photo is None:
            result.failed.append({"photo_id": photo_id, "error": "no such photo"})
            continue
        try:
            with session.begin_nested():
                changed = edit(session, photo)
        except InvalidInput as exc:
            result.failed.append({"photo_id": photo_id, "error": exc.message})
            continue
        (result.changed if changed else result.unchanged).append(photo_id)
    session.flush()
    return result


def run_bulk(runtime: Runtime, ids: Sequence[int], edit: Edit, *, dry_run: bool) -> BulkResult:
    """`edit` applied to every photo of `ids` in one transaction, rolled back for a dry run."""
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


def set_keep(keep_jpg: bool | None, keep_raw: bool | None, *, only_available: bool = False) -> Edit:
    """Keep flags for a photo. Keeping a format it does not have fails the photo, unless
    `only_available`: then that flag is left as it is ("keep RAW + JPG" on a selection of which
    some photos have only a JPG)."""

    def edit(_session: Session, photo: Photo) -> bool:
        jpg, raw = keep_jpg, keep_raw
        if jpg and not photo.jpg_available:
            if not only_available:
                raise InvalidInput("the photo has no JPG to keep")
            jpg = None
        if raw and not photo.raw_available:
            if not only_available:
                raise InvalidInput("the photo has no RAW to keep")
            raw = None
        before = (photo.keep_jpg, photo.keep_raw)
        if jpg is not None:
            photo.keep_jpg = jpg
        if raw is not None:
            photo.keep_raw = raw
        return before != (photo.keep_jpg, photo.keep_raw)

    return edit


def set_visibility(visibility: Visibility) -> Edit:
    def edit(_session: Session, photo: Photo) -> bool:
        changed = photo.visibility != visibility
        photo.visibility = visibility
        return changed

    return edit


def set_rating(rating: int) -> Edit:
    if not 0 <= rating <= 5:
        raise InvalidInput("rating must be between 0 and 5")

    def edit(_session: Session, photo: Photo) -> bool:
        changed = photo.rating != rating
        photo.rating = rating
        return changed

    return edit


def set_pick(pick: Pick) -> Edit:
    def edit(_session: Session, photo: Photo) -> bool:
        changed = photo.pick != pick
        photo.pick = pick
        return changed

    return edit


def clean_tags(names: Sequence[str]) -> list[str]:
    if not names or len(names) > 50:
        raise InvalidInput("give between 1 and 50 tags")
    cleaned = [clean_display_name(n, what="tag") for n in names]
    if any(len(n) > 100 for n in cleaned):
        raise InvalidInput("a tag has at most 100 characters")
    return list({name_key(n): n for n in cleaned}.values())


def _tag(session: Session, project_id: int, tenant: str, tag_name: str, create: bool) -> Tag | None:
    tag = session.scalar(
        select(Tag).where(Tag.project_id == project_id, Tag.name_key == name_key(tag_name))
    )
    if tag is None and create:
        tag = Tag(tenant=tenant, project_id=project_id, name=tag_name, name_key=name_key(tag_name))
        session.add(tag)
        session.flush()
    return tag


def add_tags(names: Sequence[str]) -> Edit:
    tags = clean_tags(names)

    def edit(session: Session, photo: Photo) -> bool:
        changed = False
        for tag_name in tags:
            tag = _tag(session, photo.project_id, photo.tenant, tag_name, create=True)
            assert tag is not None
            if session.get(PhotoTag, (photo.id, tag.id)) is None:
                session.add(PhotoTag(photo_id=photo.id, tag_id=tag.id))
                changed = True
        return changed

    return edit


def remove_tags(names: Sequence[str]) -> Edit:
    tags = clean_tags(names)

    def edit(session: Session, photo: Photo) -> bool:
        changed = False
        for tag_name in tags:
            tag = _tag(session, photo.project_id, photo.tenant, tag_name, create=False)
            if tag is None:
                continue
            gone = session.execute(
                delete(PhotoTag).where(PhotoTag.photo_id == photo.id, PhotoTag.tag_id == tag.id)
            ).rowcount
            changed |= bool(gone)
        return changed

    return edit


def tags_of(session: Session, photo_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(PhotoTag.photo_id, Tag.name)
        .join(Tag, Tag.id == PhotoTag.tag_id)
        .where(PhotoTag.photo_id.in_(photo_ids))
        .order_by(Tag.name_key)
    )
    found: dict[int, list[str]] = {}
    for photo_id, tag_name in rows:
        found.setdefault(photo_id, []).append(tag_name)
    return found
