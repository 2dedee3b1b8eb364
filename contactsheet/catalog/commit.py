"""Committing culling decisions (`file_removal`): files the user chose not to keep go to the
project's `.trash` (restorable for 24 h), derivatives go with the JPG, and a photo with nothing
left is removed. Safe to run again after a crash: a file already gone is simply forgotten."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contactsheet.catalog.culling import announce_pending
from contactsheet.catalog.photos import file_kind, remove_file
from contactsheet.db.enums import ItemStatus, ProjectStatus, TrashReason
from contactsheet.db.tables import Derivative, Photo, Project, pending_deletion
from contactsheet.errors import UnsafePath
from contactsheet.library.trash import record_trash
from contactsheet.runtime import Runtime
from contactsheet.workers.context import JobContext, PermanentJobError

IMAGE_KINDS = ("jpg", "raw", "other")


def _files_to_remove(photo: Photo) -> list[str]:
    going = []
    for name in photo.filenames:
        kind = file_kind(name)
        if (kind == "jpg" and not photo.keep_jpg) or (kind == "raw" and not photo.keep_raw):
            going.append(name)
    remaining = [n for n in photo.filenames if n not in going and file_kind(n) in IMAGE_KINDS]
    if not remaining:  # nothing left to belong to: sidecars go with the photo
        going += [n for n in photo.filenames if file_kind(n) == "sidecar"]
    return going


def commit_photo(runtime: Runtime, project: Project, photo_id: int) -> tuple[str, list[str]]:
    """Apply one photo's decisions; returns ("removed" | "trimmed" | "unchanged", files moved)."""
    folder = runtime.paths.project_dir(project.folder)
    with runtime.db.write() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            return "unchanged", []
        going = _files_to_remove(photo)
        if not going:
            return "unchanged", []
        jpg_goes = any(file_kind(n) == "jpg" for n in going)
        everything = len(going) == len(photo.filenames)
        sources = [folder / n for n in going if (folder / n).exists()]
        if jpg_goes or everything:
            sources += [
                path for _, path in runtime.paths.derivative_files(project.folder, photo.basename)
            ]
        moves = [
            (
                source,
                record_trash(
                    session,
                    runtime.paths,
                    tenant=project.tenant,
                    project_id=project.id,
                    folder=project.folder,
                    source=source,
                    reason=TrashReason.COMMIT,
                ),
            )
            for source in sources
        ]
    # The records are committed; now the moves. A crash here leaves files the next run forgets.
    for source, target in moves:
        if source.exists():
            source.rename(target)
    with runtime.db.write() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            return "unchanged", []
        for name in going:
            remove_file(photo, name, 0)
        photo.file_size = sum(
            (folder / n).stat().st_size for n in photo.filenames if (folder / n).exists()
        )
        if not any(file_kind(n) in IMAGE_KINDS for n in photo.filenames):
            session.delete(photo)
            return "removed", going
        if jpg_goes:
            session.execute(Derivative.__table__.delete().where(Derivative.photo_id == photo.id))
    return "trimmed", going


def _projects(context: JobContext) -> list[Project]:
    ids = context.payload.get("project_ids")
    if context.job.project_id is not None:
        ids = [context.job.project_id]
    if not ids:
        raise PermanentJobError("file_removal needs a project or project_ids")
    with context.runtime.db.read() as session:
        return list(
            session.scalars(
                select(Project).where(
                    Project.id.in_([int(i) for i in ids]), Project.status == ProjectStatus.ACTIVE
                )
            )
        )


def file_removal(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    totals = {"photos_removed": 0, "photos_trimmed": 0, "files_trashed": 0}
    for project in _projects(context):
        with runtime.db.read() as session:
            ids = list(
                session.scalars(
                    select(Photo.id)
                    .where(Photo.project_id == project.id, pending_deletion())
                    .order_by(Photo.id)
                )
            )
        items = context.add_items([(pid, None) for pid in ids])
        regenerate = []
        for photo_id, item_id in zip(ids, items, strict=True):
            context.check_canceled()
            try:
                outcome, files = commit_photo(runtime, project, photo_id)
            except UnsafePath as exc:  # a `.trash` replaced by a link: the files stay put
                context.item_done(item_id, ItemStatus.FAILED, exc.message)
                continue
            context.item_done(
                item_id, ItemStatus.DONE if outcome != "unchanged" else ItemStatus.SKIPPED
            )
            totals["files_trashed"] += len(files)
            if outcome == "removed":
                totals["photos_removed"] += 1
                context.publish("item_removed", {"photo_id": photo_id, "project_id": project.id})
            elif outcome == "trimmed":
                totals["photos_trimmed"] += 1
                if any(file_kind(n) == "jpg" for n in files):
                    regenerate.append(photo_id)
        if regenerate:
            with runtime.db.write() as session:
                runtime.queue.start_task(
                    session,
                    "generate_derivatives",
                    project_id=project.id,
                    payload={"photo_ids": regenerate, "force": False},
                    origin="system",
                )
        announce_pending(runtime, [project.id])
    return totals
