"""Moving photos between projects: originals, sidecars and derivatives travel together.

At the destination a photo with the same basename is joined when none of the moving files is of
a type it already has (a JPG meeting its RAW); otherwise the moving photo takes the first free
`<basename>_2`, `_3`…, as an upload whose name is taken does. No file is ever overwritten: names
are claimed with hard links.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.bulk import check_size, load_photos
from contactsheet.catalog.photos import (
    add_file,
    basenames_on_disk,
    facts_of,
    file_record,
    free_basename,
    photo_in_project,
    rename_file,
    same_type_files,
    split_name,
)
from contactsheet.catalog.projects import find_project
from contactsheet.db.enums import ItemStatus, Pick, ProjectStatus, Visibility
from contactsheet.db.tables import Photo, PhotoTag, Project, Tag
from contactsheet.errors import ContactSheetError, InvalidInput
from contactsheet.library.names import name_key
from contactsheet.library.paths import LibraryPaths
from contactsheet.runtime import Runtime
from contactsheet.workers.context import JobContext, PermanentJobError


@dataclass(frozen=True)
class MoveResult:
    photo_id: int
    status: str  # moved | merged | skipped
    dest_photo_id: int | None
    basename: str | None
    reason: str | None = None


def _move_file(source: Path, target: Path) -> None:
    os.link(source, target)  # FileExistsError if taken: never overwrite
    source.unlink()


def _dest_tags(session: Session, photo: Photo, dest: Project) -> list[int]:
    """The moving photo's tags, by name, as tags of the destination project (made if needed)."""
    names = session.scalars(
        select(Tag.name)
        .join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo.id)
    ).all()
    ids = []
    for tag_name in names:
        tag = session.scalar(
            select(Tag).where(Tag.project_id == dest.id, Tag.name_key == name_key(tag_name))
        )
        if tag is None:
            tag = Tag(
                tenant=dest.tenant, project_id=dest.id, name=tag_name, name_key=name_key(tag_name)
            )
            session.add(tag)
            session.flush()
        ids.append(tag.id)
    return ids


def _set_tags(session: Session, photo_id: int, tag_ids: list[int]) -> None:
    existing = set(session.scalars(select(PhotoTag.tag_id).where(PhotoTag.photo_id == photo_id)))
    for tag_id in tag_ids:
        if tag_id not in existing:
            session.add(PhotoTag(photo_id=photo_id, tag_id=tag_id))


def move_photo(session: Session, paths: LibraryPaths, photo: Photo, dest: Project) -> MoveResult:
    source = session.get(Project, photo.project_id)
    if source is None or dest.status != ProjectStatus.ACTIVE:
        raise InvalidInput("the destination project is not active")
    if source.id == dest.id:
        return MoveResult(photo.id, "skipped", photo.id, photo.basename, "already there")
    dest_dir = paths.project_dir(dest.folder)
    joined = photo_in_project(session, dest.id, photo.basename)
    if joined is not None and any(same_type_files(joined, n) for n in photo.filenames):
        joined = None
        basename = free_basename(session, dest, dest_dir, photo.basename)
    elif joined is None and name_key(photo.basename) in basenames_on_disk(dest_dir):
        basename = free_basename(session, dest, dest_dir, photo.basename)
    else:
        basename = photo.basename
    tag_ids = _dest_tags(session, photo, dest)
    # Every target is named (and confined) before anything moves: a refused path leaves the
    # photo whole where it was, never half moved.
    source_dir = paths.project_dir(source.folder)
    originals = [
        (paths.child(source_dir, name), paths.child(dest_dir, f"{basename}{split_name(name)[1]}"))
        for name in photo.filenames
    ]
    derivatives = [
        (origin, paths.derivative_path(dest.folder, kind, basename, origin.suffix.lstrip(".")))
        for kind, origin in paths.derivative_files(source.folder, photo.basename)
    ]
    moved: list[tuple[Path, Path]] = []
    stale: list[Path] = []
    try:
        for origin, target in originals:
            if origin.exists():
                _move_file(origin, target)
                moved.append((origin, target))
        for origin, target in derivatives:
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                stale.append(origin)  # the joined photo has its own; this copy would be orphaned
            else:
                _move_file(origin, target)
                moved.append((origin, target))
    except OSError:
        for origin, target in reversed(moved):  # put back what already moved, then give up
            _move_file(target, origin)
        raise
    for origin in stale:  # a cache of a photo leaving this project: nothing would ever remove it
        origin.unlink(missing_ok=True)
    new_names = {n: f"{basename}{split_name(n)[1]}" for n in photo.filenames}
    if joined is not None:
        for old_name, name in new_names.items():
            size = (dest_dir / name).stat().st_size if (dest_dir / name).exists() else 0
            # A hard link keeps the inode: the content's recorded identity still holds.
            add_file(joined, name, size, facts_of(file_record(photo, old_name)))
        # The joining photo carries the user's history; it wins where the other has defaults.
        if joined.visibility == Visibility.PRIVATE:
            joined.visibility = photo.visibility
        joined.rating = joined.rating or photo.rating
        if joined.pick == Pick.UNFLAGGED:
            joined.pick = photo.pick
        _set_tags(session, joined.id, tag_ids)
        session.delete(photo)
        session.flush()
        return MoveResult(photo.id, "merged", joined.id, basename)
    session.execute(PhotoTag.__table__.delete().where(PhotoTag.photo_id == photo.id))
    photo.project_id = dest.id
    photo.basename, photo.basename_key = basename, name_key(basename)
    for old_name, name in new_names.items():
        rename_file(photo, old_name, name)
    session.flush()
    _set_tags(session, photo.id, tag_ids)
    return MoveResult(photo.id, "moved", photo.id, basename)


def request_move(
    runtime: Runtime, photo_ids: Sequence[int], dest_folder: str, *, dry_run: bool
) -> dict[str, Any]:
    """Start an `image_move` task for the photos not already in the destination project."""
    check_size(photo_ids)
    with runtime.db.write() as session:
        dest = find_project(session, runtime.tenant, dest_folder)
        photos = load_photos(session, runtime.tenant, photo_ids)
        failed = [{"photo_id": i, "error": "no such photo"} for i in photo_ids if i not in photos]
        already = [i for i, p in photos.items() if p.project_id == dest.id]
        moving = sorted(i for i, p in photos.items() if p.project_id != dest.id)
        answer: dict[str, Any] = {
            "dry_run": dry_run,
            "moving": moving,
            "already_there": already,
            "failed": failed,
        }
        if moving and not dry_run:
            job = runtime.queue.start_task(
                session,
                "image_move",
                project_id=dest.id,
                payload={"photo_ids": moving, "dest_project_id": dest.id},
            )
            answer["task_id"] = job.task_id
    return answer


def image_move_files(context: JobContext) -> dict[str, Any]:
    """Step `image_move_files`: payload `photo_ids` and `dest_project_id`; one photo per
    transaction, each an item of the job, and `item_removed` / `item_moved` events."""
    payload = context.payload
    try:
        photo_ids = [int(i) for i in payload["photo_ids"]]
        dest_id = int(payload["dest_project_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentJobError(f"bad image_move payload: {exc}") from exc
    runtime = context.runtime
    items = context.add_items([(photo_id, None) for photo_id in photo_ids])
    counts = {"moved": 0, "merged": 0, "skipped": 0, "failed": 0}
    for photo_id, item_id in zip(photo_ids, items, strict=True):
        context.check_canceled()
        try:
            with runtime.db.write() as session:
                photo = session.get(Photo, photo_id)
                dest = session.get(Project, dest_id)
                if photo is None or dest is None:
                    result = MoveResult(photo_id, "skipped", None, None, "photo or project is gone")
                    source_id = None
                else:
                    source_id = photo.project_id
                    result = move_photo(session, runtime.paths, photo, dest)
        except (OSError, ContactSheetError) as exc:  # a refused path costs this photo only
            counts["failed"] += 1
            context.item_done(item_id, ItemStatus.FAILED, str(exc))
            continue
        counts[result.status] += 1
        status = ItemStatus.SKIPPED if result.status == "skipped" else ItemStatus.DONE
        context.item_done(item_id, status, result.reason)
        if result.status != "skipped":
            context.publish("item_removed", {"photo_id": photo_id, "project_id": source_id})
            context.publish(
                "item_moved",
                {
                    "photo_id": result.dest_photo_id,
                    "project_id": dest_id,
                    "basename": result.basename,
                },
            )
    return counts
