"""Making one photo's derivatives: decide by the cache rules, decode once, write atomically,
then record what was made. The file is written before its record, so a crash can leave an
unrecorded file (made again next time) but never a record of a file that is not there."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from contactsheet.clock import utcnow
from contactsheet.db.enums import DerivativeStatus, ProjectStatus
from contactsheet.db.tables import Derivative, Photo, Project
from contactsheet.derivatives.cache import Reason, decide, file_size_of
from contactsheet.derivatives.params import derivative_path, params_key, params_of, specs
from contactsheet.errors import PhotoNotFound, UnsafePath
from contactsheet.imaging.engine import (
    DecodeError,
    DerivativeSpec,
    Rendered,
    pick_source,
    render,
    thumbhash_of,
)
from contactsheet.imaging.fingerprint import fingerprint
from contactsheet.library.atomic import atomic_write_bytes
from contactsheet.logs import log_event
from contactsheet.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhotoSource:
    photo_id: int
    project_id: int
    folder: str
    basename: str
    source_name: str | None


@dataclass
class PhotoOutcome:
    photo_id: int
    statuses: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # What a client showing the photo needs to redraw it: what was wrong with a source shown
    # anyway, and the placeholder of a new thumbnail.
    warning: str | None = None
    thumbhash: str | None = None

    @property
    def generated(self) -> bool:
        return any(
            r not in (Reason.CACHE_HIT, Reason.FAILED_UNCHANGED) for r in self.reasons.values()
        )


# One lock per photo id, alive while someone holds or waits for it: 50 concurrent requests for a
# missing thumbnail make one generation; the other 49 find it made.
_locks: weakref.WeakValueDictionary[int, threading.Lock] = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def photo_lock(photo_id: int) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(photo_id)
        if lock is None:
            lock = threading.Lock()
            _locks[photo_id] = lock
        return lock


def load_source(runtime: Runtime, photo_id: int) -> tuple[PhotoSource, dict[str, Derivative]]:
    with runtime.db.read() as session:
        row = session.execute(
            select(Photo, Project.folder)
            .join(Project, Project.id == Photo.project_id)
            .where(Photo.id == photo_id, Project.status == ProjectStatus.ACTIVE)
        ).first()
        if row is None:
            raise PhotoNotFound(f"no photo {photo_id}")
        photo, folder = row
        records = {
            d.kind: d
            for d in session.scalars(select(Derivative).where(Derivative.photo_id == photo_id))
        }
    source = PhotoSource(
        photo.id, photo.project_id, folder, photo.basename, pick_source(photo.filenames)
    )
    return source, records


@dataclass(frozen=True)
class ReadSource:
    """The source file as it was read for this generation: what every record made from it keeps."""

    source: PhotoSource
    path: Path
    fingerprint: str
    size: int


def _record(
    runtime: Runtime,
    read: ReadSource,
    spec: DerivativeSpec,
    status: DerivativeStatus,
    made: Rendered | None = None,
    error: str | None = None,
) -> str | None:
    """Write one kind's record: `made` for a file just written, `error` for a failure. Returns
    the photo's new ThumbHash when a thumbnail was made."""
    source = read.source
    # Computed before the write transaction: nothing slow runs while the writer is held.
    thumbhash = thumbhash_of(made) if made is not None and spec.kind == "thumbnail" else None
    with runtime.db.write() as session:
        if session.get(Photo, source.photo_id) is None:
            return None  # deleted meanwhile: its records went with it
        record = session.scalar(
            select(Derivative).where(
                Derivative.photo_id == source.photo_id, Derivative.kind == spec.kind
            )
        )
        if record is None:
            record = Derivative(photo_id=source.photo_id, kind=spec.kind)
            session.add(record)
        record.status = status
        record.source_name = source.source_name
        record.source_fingerprint = read.fingerprint
        record.source_size = read.size
        record.params = params_of(spec)
        if made is not None:
            record.params |= {
                "decoded_with": made.decoded_with,
                "width": made.width,
                "height": made.height,
            }
        record.params_key = params_key(spec)
        record.file_size = len(made.data) if made is not None else None
        record.error = error
        record.warning = made.warning if made is not None else None
        if status == DerivativeStatus.GENERATED:
            record.generated_at = utcnow()
        if thumbhash is not None:
            session.get_one(Photo, source.photo_id).thumbhash = thumbhash
    return thumbhash


def generate_photo(runtime: Runtime, photo_id: int, *, force: bool) -> PhotoOutcome:
    """Bring one photo's derivatives up to date (under its lock). Never raises for a bad image."""
    with photo_lock(photo_id):
        return _generate(runtime, photo_id, force=force)


def _read(
    runtime: Runtime, source: PhotoSource, records: dict[str, Derivative], outcome: PhotoOutcome
) -> ReadSource | None:
    """The source's size and fingerprint; None (and the outcome says why) when there is none."""
    wanted = specs(runtime.settings.processing)
    if source.source_name is None:
        outcome.error = "the photo has no image file"
        outcome.statuses = dict.fromkeys(wanted, DerivativeStatus.FAILED)
        return None
    path = runtime.paths.child(runtime.paths.project_dir(source.folder), source.source_name)
    try:
        return ReadSource(source, path, fingerprint(path), path.stat().st_size)
    except OSError as exc:
        # Unreadable now (gone, permissions): nothing is recorded, the next check looks again.
        outcome.error = f"cannot read {source.source_name}: {exc.strerror or exc}"
        outcome.statuses = {
            kind: records[kind].status if kind in records else DerivativeStatus.PENDING
            for kind in wanted
        }
        return None


def _needed(
    runtime: Runtime,
    read: ReadSource,
    records: dict[str, Derivative],
    outcome: PhotoOutcome,
    *,
    force: bool,
) -> list[DerivativeSpec]:
    """The kinds the cache rules say to make; the others keep their record's status."""
    needed = []
    for kind, spec in specs(runtime.settings.processing).items():
        try:
            target = derivative_path(runtime.paths, read.source.folder, read.source.basename, spec)
        except UnsafePath as exc:  # its folder was replaced by a link: nothing is written there
            _record(runtime, read, spec, DerivativeStatus.FAILED, error=exc.message)
            outcome.statuses[kind], outcome.error = DerivativeStatus.FAILED, exc.message
            continue
        record = records.get(kind)
        decision = decide(
            record,
            source_fingerprint=read.fingerprint,
            params_key=params_key(spec),
            file_size=file_size_of(target),
            force=force,
        )
        outcome.reasons[kind] = decision.reason
        if decision.generate:
            needed.append(spec)
        elif record is not None:
            outcome.statuses[kind] = record.status
            if record.status == DerivativeStatus.FAILED:
                outcome.error = record.error
    return needed


def _generate(runtime: Runtime, photo_id: int, *, force: bool) -> PhotoOutcome:
    config = runtime.settings.processing
    source, records = load_source(runtime, photo_id)
    outcome = PhotoOutcome(photo_id)
    read = _read(runtime, source, records, outcome)
    if read is None:
        return outcome
    needed = _needed(runtime, read, records, outcome, force=force)
    if not needed:
        return outcome
    started = time.monotonic()
    try:
        rendered = render(
            read.path, needed, max_pixels=config.max_pixels, timeout=config.decode_timeout_seconds
        )
    except DecodeError as exc:
        for spec in needed:
            _record(runtime, read, spec, DerivativeStatus.FAILED, error=str(exc))
            outcome.statuses[spec.kind] = DerivativeStatus.FAILED
        outcome.error = str(exc)
        log_event(log, "derivative_failed", logging.WARNING, photo_id=photo_id, error=str(exc))
        return outcome
    for spec, made in zip(needed, rendered, strict=True):
        target = derivative_path(runtime.paths, source.folder, source.basename, spec)
        target.parent.mkdir(exist_ok=True)
        atomic_write_bytes(target, made.data)
        outcome.thumbhash = _record(runtime, read, spec, DerivativeStatus.GENERATED, made) or (
            outcome.thumbhash
        )
        outcome.statuses[spec.kind] = DerivativeStatus.GENERATED
        outcome.warning = made.warning
    log_event(
        log,
        "derivatives_generated",
        photo_id=photo_id,
        kinds=",".join(s.kind for s in needed),
        ms=round((time.monotonic() - started) * 1000),
        **({"warning": rendered[0].warning} if rendered[0].warning else {}),
    )
    return outcome


def plan_photo(runtime: Runtime, photo_id: int, *, force: bool) -> dict[str, str]:
    """What `generate_photo` would do for each kind, without doing it (for dry runs)."""
    source, records = load_source(runtime, photo_id)
    if source.source_name is None:
        return {}
    source_path = runtime.paths.child(runtime.paths.project_dir(source.folder), source.source_name)
    try:
        source_fp = fingerprint(source_path)
    except OSError:
        return {}
    plan = {}
    for kind, spec in specs(runtime.settings.processing).items():
        target = derivative_path(runtime.paths, source.folder, source.basename, spec)
        decision = decide(
            records.get(kind),
            source_fingerprint=source_fp,
            params_key=params_key(spec),
            file_size=file_size_of(target),
            force=force,
        )
        plan[kind] = decision.reason
    return plan
