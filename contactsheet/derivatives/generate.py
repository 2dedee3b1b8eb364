"""Making one photo's derivatives: decide by the cache rules, decode once, write atomically,
then record what was made. The file is written before its record, so a crash can leave an
unrecorded file (made again next time) but never a record of a file that is not there."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import select

from contactsheet.clock import utcnow
from contactsheet.db.enums import DerivativeStatus, ProjectStatus
from contactsheet.db.tables import Derivative, Photo, Project
from contactsheet.derivatives.cache import Decision, Reason, decide, file_size_of
from contactsheet.derivatives.params import derivative_path, params_key, params_of, specs
from contactsheet.errors import PhotoNotFound, UnsafePath
from contactsheet.imaging.engine import DecodeError, pick_source, render, thumbhash_of
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


def _record(
    runtime: Runtime,
    source: PhotoSource,
    kind: str,
    *,
    status: DerivativeStatus,
    fingerprint_: str | None,
    source_size: int | None,
    params: dict[str, object],
    key: str,
    file_size: int | None,
    error: str | None,
    warning: str | None = None,
    thumbhash: str | None = None,
) -> None:
    with runtime.db.write() as session:
        if session.get(Photo, source.photo_id) is None:
            return  # deleted meanwhile: its records went with it
        record = session.scalar(
            select(Derivative).where(
                Derivative.photo_id == source.photo_id, Derivative.kind == kind
            )
        )
        if record is None:
            record = Derivative(photo_id=source.photo_id, kind=kind)
            session.add(record)
        record.status = status
        record.source_name = source.source_name
        record.source_fingerprint = fingerprint_
        record.source_size = source_size
        record.params = params
        record.params_key = key
        record.file_size = file_size
        record.error = error
        record.warning = warning
        record.generated_at = (
            utcnow() if status == DerivativeStatus.GENERATED else record.generated_at
        )
        if thumbhash is not None:
            photo = session.get_one(Photo, source.photo_id)
            photo.thumbhash = thumbhash


def generate_photo(runtime: Runtime, photo_id: int, *, force: bool) -> PhotoOutcome:
    """Bring one photo's derivatives up to date (under its lock). Never raises for a bad image."""
    with photo_lock(photo_id):
        return _generate(runtime, photo_id, force=force)


def _generate(runtime: Runtime, photo_id: int, *, force: bool) -> PhotoOutcome:
    config = runtime.settings.processing
    source, records = load_source(runtime, photo_id)
    outcome = PhotoOutcome(photo_id)
    wanted = specs(config)
    if source.source_name is None:
        outcome.error = "the photo has no image file"
        for kind in wanted:
            outcome.statuses[kind] = DerivativeStatus.FAILED
        return outcome
    source_path = runtime.paths.child(runtime.paths.project_dir(source.folder), source.source_name)
    try:
        source_size = source_path.stat().st_size
        source_fp = fingerprint(source_path)
    except OSError as exc:
        outcome.error = f"cannot read {source.source_name}: {exc.strerror or exc}"
        for kind in wanted:
            outcome.statuses[kind] = (
                records[kind].status if kind in records else DerivativeStatus.PENDING
            )
        return outcome
    decisions: dict[str, Decision] = {}
    for kind, spec in wanted.items():
        try:
            target = derivative_path(runtime.paths, source.folder, source.basename, spec)
        except UnsafePath as exc:  # its folder was replaced by a link: nothing is written there
            _record(
                runtime,
                source,
                kind,
                status=DerivativeStatus.FAILED,
                fingerprint_=source_fp,
                source_size=source_size,
                params=params_of(spec),
                key=params_key(spec),
                file_size=None,
                error=exc.message,
            )
            outcome.statuses[kind], outcome.error = DerivativeStatus.FAILED, exc.message
            continue
        decisions[kind] = decide(
            records.get(kind),
            source_fingerprint=source_fp,
            params_key=params_key(spec),
            file_size=file_size_of(target),
            force=force,
        )
        outcome.reasons[kind] = decisions[kind].reason
        if not decisions[kind].generate:
            outcome.statuses[kind] = records[kind].status
            if records[kind].status == DerivativeStatus.FAILED:
                outcome.error = records[kind].error
    needed = [
        spec for kind, spec in wanted.items() if kind in decisions and decisions[kind].generate
    ]
    if not needed:
        return outcome
    started = time.monotonic()
    try:
        rendered = render(
            source_path, needed, max_pixels=config.max_pixels, timeout=config.decode_timeout_seconds
        )
    except DecodeError as exc:
        for spec in needed:
            _record(
                runtime,
                source,
                spec.kind,
                status=DerivativeStatus.FAILED,
                fingerprint_=source_fp,
                source_size=source_size,
                params=params_of(spec),
                key=params_key(spec),
                file_size=None,
                error=str(exc),
            )
            outcome.statuses[spec.kind] = DerivativeStatus.FAILED
        outcome.error = str(exc)
        log_event(log, "derivative_failed", logging.WARNING, photo_id=photo_id, error=str(exc))
        return outcome
    for spec, made in zip(needed, rendered, strict=True):
        target = derivative_path(runtime.paths, source.folder, source.basename, spec)
        target.parent.mkdir(exist_ok=True)
        atomic_write_bytes(target, made.data)
        _record(
            runtime,
            source,
            spec.kind,
            status=DerivativeStatus.GENERATED,
            fingerprint_=source_fp,
            source_size=source_size,
            params=params_of(spec)
            | {"decoded_with": made.decoded_with, "width": made.width, "height": made.height},
            key=params_key(spec),
            file_size=len(made.data),
            error=None,
            warning=made.warning,
            thumbhash=thumbhash_of(made) if spec.kind == "thumbnail" else None,
        )
        outcome.statuses[spec.kind] = DerivativeStatus.GENERATED
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
