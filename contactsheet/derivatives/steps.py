"""The steps `generate_derivatives` and `cache_validation`."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import Row, Select, delete, select, update
from sqlalchemy.orm import Session

from contactsheet.db.chunks import chunked
from contactsheet.db.enums import DerivativeStatus, ItemStatus, ProjectStatus
from contactsheet.db.tables import Derivative, Photo, Project
from contactsheet.derivatives.cache import Standing, standing
from contactsheet.derivatives.generate import PhotoOutcome, generate_photo
from contactsheet.derivatives.on_disk import ProjectFolders, Records, records_of
from contactsheet.derivatives.params import params_key, specs
from contactsheet.errors import PhotoNotFound
from contactsheet.imaging.engine import configure, pick_source
from contactsheet.runtime import Runtime
from contactsheet.workers.context import JobCanceled, JobContext, WorkerStopping

CHUNK = 1000
# How soon a batch notices a lost lease while its photos are still rendering.
LEASE_CHECK_SECONDS = 0.1


def pool_size(runtime: Runtime) -> int:
    return runtime.settings.processing.image_workers or os.cpu_count() or 1


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_guard = threading.Lock()
# How much lower than the process's other threads the image threads run (Linux `nice` is per
# thread, and the threads libvips starts from them inherit it).
BACKGROUND_NICE = 10


def _yield_to_requests() -> None:
    """Run this image thread below the API's threads: with every core busy rendering a shoot, a
    listing or a thumbnail request still gets a core at once instead of a share of it."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed: run as is
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), current + BACKGROUND_NICE)


def image_pool(size: int) -> ThreadPoolExecutor:
    """The process's pool of image threads. Every `generate_derivatives` job of the process hands
    its photos to this one pool: jobs running side by side (one per upload, one per move) share
    the cores instead of each starting threads of its own, which oversubscribed them and held
    one decoded image per thread in memory (docs/derivatives.md, "Threads")."""
    with _pools_guard:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(
                size, thread_name_prefix="derivatives", initializer=_yield_to_requests
            )
        return pool


def _active_photos() -> Select[tuple[int]]:
    return (
        select(Photo.id)
        .join(Project, Project.id == Photo.project_id)
        .where(Project.status == ProjectStatus.ACTIVE)
    )


def _photo_ids(context: JobContext) -> list[int]:
    """The payload's photos (after a move: those now at the destination, with the photos there
    that a moved file joined), else the job's project's."""
    payload = context.payload
    dest = int(payload["dest_project_id"]) if "dest_project_id" in payload else None
    with context.runtime.db.read() as session:
        if "photo_ids" not in payload:
            project_id = dest if dest is not None else context.job.project_id
            query = _active_photos()
            if project_id is not None:
                query = query.where(Photo.project_id == project_id)
            return list(session.scalars(query.order_by(Photo.id)))
        found: set[int] = set()
        for chunk in chunked(sorted({int(i) for i in payload["photo_ids"]})):
            query = _active_photos().where(Photo.id.in_(chunk))
            if dest is not None:
                query = query.where(Photo.project_id == dest)
            found.update(session.scalars(query))
        if dest is not None:
            found |= _source_changed(session, dest)
    return sorted(found)


def _source_changed(session: Session, project_id: int) -> set[int]:
    """Photos of the project whose derivatives were made from another file than the one they
    would be made from now: a JPG that joined a RAW-only photo. Records only, no file is read."""
    rows = session.execute(
        select(Photo.id, Photo.filenames, Derivative.source_name)
        .join(Derivative, Derivative.photo_id == Photo.id)
        .where(Photo.project_id == project_id)
    )
    return {
        photo_id
        for photo_id, filenames, made_from in rows
        if made_from is not None and made_from != pick_source(filenames)
    }


def item_event(outcome: PhotoOutcome) -> dict[str, Any]:
    """What a client showing the photo needs to redraw it in place. `warning` (null when the new
    files came from a clean decode) and `thumbhash` only when files were made: a cache hit
    changes neither."""
    event: dict[str, Any] = {
        "photo_id": outcome.photo_id,
        "thumbnail_status": outcome.statuses.get("thumbnail"),
        "preview_status": outcome.statuses.get("preview"),
        "error": outcome.error,
    }
    if outcome.generated and DerivativeStatus.GENERATED in outcome.statuses.values():
        event["warning"] = outcome.warning
        if outcome.thumbhash is not None:
            event["thumbhash"] = outcome.thumbhash
    return event


def generate_derivatives(context: JobContext) -> dict[str, Any]:
    """Photos of the payload (or the project) brought up to date, several at once.

    Each photo is isolated: a bad image or a bug in one ends that item `failed` and the rest go on.
    A run resumed after a shutdown skips the photos the earlier run finished.
    """
    runtime = context.runtime
    force = bool(context.payload.get("force", False))
    photo_ids = _photo_ids(context)
    item_ids = context.add_items([(pid, None) for pid in photo_ids])
    todo = deque(
        (photo_id, item_id)
        for photo_id, item_id in zip(photo_ids, item_ids, strict=True)
        if item_id not in context.finished_before
    )
    configure(runtime.settings.processing.vips_concurrency)
    counts = {"generated": 0, "cache_hits": 0, "failed": 0, "gone": 0}
    size = pool_size(runtime)
    pool = image_pool(size)
    running: dict[Future[PhotoOutcome], tuple[int, int]] = {}
    halted: JobCanceled | WorkerStopping | None = None
    try:
        while True:
            # Photos are handed to the pool one by one as others finish, at most one per pool
            # thread: a photo waiting in the pool would start the moment the one before it ends,
            # before this thread has recorded that one and learnt whether the job is still its
            # own. So a stop, a cancel or a lost lease starts no new photo: those in flight
            # finish, and their items are recorded (a lost job records nothing more).
            while halted is None and todo and len(running) < size:
                photo_id, item_id = todo.popleft()
                future = pool.submit(generate_photo, runtime, photo_id, force=force)
                running[future] = (photo_id, item_id)
            if not running:
                break
            done, _ = wait(running, timeout=LEASE_CHECK_SECONDS, return_when=FIRST_COMPLETED)
            context.check_lost()
            for future in done:
                photo_id, item_id = running.pop(future)
                _finish_item(context, future, photo_id, item_id, counts)
            if halted is None:
                try:
                    context.check_canceled()
                except (JobCanceled, WorkerStopping) as exc:
                    halted = exc
                    for future in [f for f in running if f.cancel()]:
                        del running[future]
        if halted is not None:
            raise halted
    finally:
        # Never wait here: after a lost lease the handler returns at once, and a photo still in
        # flight finishes on its own without anything more being written for the job.
        for future in running:
            future.cancel()
    return counts


def _finish_item(
    context: JobContext,
    future: Future[PhotoOutcome],
    photo_id: int,
    item_id: int,
    counts: dict[str, int],
) -> None:
    try:
        outcome = future.result()
    except PhotoNotFound:
        counts["gone"] += 1
        context.item_done(item_id, ItemStatus.SKIPPED, "the photo is gone")
        return
    except Exception as exc:  # a bug must cost one photo, not the job
        counts["failed"] += 1
        context.item_done(item_id, ItemStatus.FAILED, f"{type(exc).__name__}: {exc}")
        return
    event = item_event(outcome)
    if DerivativeStatus.FAILED in outcome.statuses.values():
        counts["failed"] += 1
        context.item_done(item_id, ItemStatus.FAILED, outcome.error, event=event)
    elif outcome.generated:
        counts["generated"] += 1
        context.item_done(item_id, ItemStatus.DONE, event=event)
    else:
        counts["cache_hits"] += 1
        context.item_done(item_id, ItemStatus.SKIPPED, "cache hit", event=event)


# --- cache_validation ---


Chunk = list[tuple[Row[Any], Records]]


def _chunks(context: JobContext) -> Iterator[Chunk]:
    """The active photos (id, basename, filenames, folder) a thousand at a time, with their
    derivative records; plain rows, each chunk read in its own short transaction."""
    query = (
        select(Photo.id, Photo.basename, Photo.filenames, Project.folder)
        .join(Project, Project.id == Photo.project_id)
        .where(Project.status == ProjectStatus.ACTIVE)
        .order_by(Photo.id)
        .limit(CHUNK)
    )
    if context.job.project_id is not None:
        query = query.where(Photo.project_id == context.job.project_id)
    last = 0
    while True:
        with context.runtime.db.read() as session:
            rows = session.execute(query.where(Photo.id > last)).all()
            if not rows:
                return
            records = records_of(session, [row.id for row in rows])
        last = rows[-1].id
        yield [(row, records) for row in rows]


def cache_validation(context: JobContext) -> dict[str, Any]:
    """Compare every derivative record with the disk (stat only), mark what is gone `missing`,
    drop records made with other parameters, and queue one generation for whatever needs it."""
    runtime = context.runtime
    wanted = specs(runtime.settings.processing)
    keys = {kind: params_key(spec) for kind, spec in wanted.items()}
    folders = ProjectFolders(runtime.paths, wanted)
    counts = {"photos": 0, "marked_missing": 0, "stale_dropped": 0, "needing": 0}
    needing: list[int] = []
    for chunk in _chunks(context):
        context.check_canceled()
        missing_ids: list[int] = []
        stale_ids: list[int] = []
        for photo, records in chunk:
            counts["photos"] += 1
            source = pick_source(photo.filenames)
            source_size = folders.source_size(photo.folder, source) if source else None
            if source is None or source_size is None:
                continue  # no readable source: the file checks of maintenance deal with it
            by_kind = records.get(photo.id, {})
            needs = False
            for kind in wanted:
                record = by_kind.get(kind)
                size = None
                if record is not None and record.status == DerivativeStatus.GENERATED:
                    size = folders.derivative_size(photo.folder, photo.basename, kind)
                state = standing(
                    record,
                    params_key=keys[kind],
                    source_name=source,
                    source_size=source_size,
                    file_size=size,
                )
                if record is not None and state == Standing.PARAMS_CHANGED:
                    stale_ids.append(record.id)
                elif (
                    record is not None
                    and state == Standing.FILE_GONE
                    and record.status != DerivativeStatus.MISSING
                ):
                    missing_ids.append(record.id)
                needs |= state not in (Standing.CURRENT, Standing.FAILED)
            if needs:
                needing.append(photo.id)
        if missing_ids or stale_ids:
            with runtime.db.write() as session:
                if missing_ids:
                    session.execute(
                        update(Derivative)
                        .where(Derivative.id.in_(missing_ids))
                        .values(status=DerivativeStatus.MISSING)
                    )
                if stale_ids:
                    session.execute(delete(Derivative).where(Derivative.id.in_(stale_ids)))
        counts["marked_missing"] += len(missing_ids)
        counts["stale_dropped"] += len(stale_ids)
    counts["needing"] = len(needing)
    details: dict[str, Any] = dict(counts)
    if needing:
        with runtime.db.write() as session:
            job = runtime.queue.start_task(
                session,
                "generate_derivatives",
                payload={"photo_ids": needing, "force": False},
                origin="system",
                dedup=True,
            )
        details["enqueued_task_id"] = job.task_id
    return context.report(
        found={"photos": counts["photos"], "needing": counts["needing"]},
        changed={
            "marked_missing": counts["marked_missing"],
            "stale_dropped": counts["stale_dropped"],
            "queued_for_generation": counts["needing"],
        },
        **details,
    )
