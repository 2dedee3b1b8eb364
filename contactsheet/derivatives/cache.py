"""The cache rules, in one place (docs/derivatives.md).

A derivative may be skipped only when all hold: the source's fingerprint equals the recorded one;
the parameters (sizes, quality, format, engine version) equal the recorded ones; the file exists
with the recorded size. `force` ignores the record. A failed source is retried only when the
source or the engine changed (a corrupt file is not re-queued every hour forever).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative


class Reason(StrEnum):
    CACHE_HIT = "cache_hit"  # record, source, parameters and file all agree
    FORCED = "forced"  # the user asked for it
    NEVER_MADE = "never_made"  # no record, or a pending one
    SOURCE_CHANGED = "source_changed"
    PARAMS_CHANGED = "params_changed"
    FILE_MISSING = "file_missing"
    FILE_SIZE_DIFFERS = "file_size_differs"
    FAILED_UNCHANGED = "failed_unchanged"  # decoding failed before, nothing changed since


@dataclass(frozen=True)
class Decision:
    generate: bool
    reason: Reason


def decide(
    record: Derivative | None,
    *,
    source_fingerprint: str,
    params_key: str,
    file_size: int | None,
    force: bool,
) -> Decision:
    """Whether to (re)make one derivative; `file_size` is the file's size on disk, or None."""
    if force:
        return Decision(True, Reason.FORCED)
    if record is None or record.status == DerivativeStatus.PENDING:
        return Decision(True, Reason.NEVER_MADE)
    if record.source_fingerprint != source_fingerprint:
        return Decision(True, Reason.SOURCE_CHANGED)
    if record.params_key != params_key:
        return Decision(True, Reason.PARAMS_CHANGED)
    if record.status == DerivativeStatus.FAILED:
        return Decision(False, Reason.FAILED_UNCHANGED)
    if file_size is None or record.status == DerivativeStatus.MISSING:
        return Decision(True, Reason.FILE_MISSING)
    if not file_matches(record, file_size):
        return Decision(True, Reason.FILE_SIZE_DIFFERS)
    return Decision(False, Reason.CACHE_HIT)


class Standing(StrEnum):
    """How one derivative record stands against the disk and the settings, by stat alone
    (`cache_validation` fixes by it and `contactsheet check` reports by it)."""

    CURRENT = "current"  # made from the current source with these parameters; its file matches
    NEVER_MADE = "never_made"  # no record, or a pending one
    PARAMS_CHANGED = "params_changed"  # made with other sizes, quality, format or engine
    FAILED = "failed"  # the source could not be decoded and has not changed since
    FAILED_SOURCE_CHANGED = "failed_source_changed"  # failed, but the source changed: retry
    FILE_GONE = "file_gone"  # recorded as made, its file absent or of another size
    SOURCE_CHANGED = "source_changed"  # the file matches, but the source is another file now


class RecordFacts(Protocol):
    """What the rules read of a derivative record: the ORM object, or a plain row of
    `on_disk.RECORD_COLUMNS` for the steps that read every record of the library."""

    @property
    def status(self) -> str: ...
    @property
    def params_key(self) -> str | None: ...
    @property
    def source_name(self) -> str | None: ...
    @property
    def source_size(self) -> int | None: ...
    @property
    def file_size(self) -> int | None: ...


def standing(
    record: RecordFacts | None,
    *,
    params_key: str,
    source_name: str,
    source_size: int,
    file_size: int | None,
) -> Standing:
    """`file_size`: the derivative file's size on disk, None when it is not there."""
    if record is None or record.status == DerivativeStatus.PENDING:
        return Standing.NEVER_MADE
    if record.params_key != params_key:
        return Standing.PARAMS_CHANGED
    source_changed = record.source_size != source_size or record.source_name != source_name
    if record.status == DerivativeStatus.FAILED:
        return Standing.FAILED_SOURCE_CHANGED if source_changed else Standing.FAILED
    if not file_matches(record, file_size):
        return Standing.FILE_GONE
    return Standing.SOURCE_CHANGED if source_changed else Standing.CURRENT


def file_matches(record: RecordFacts | None, file_size: int | None) -> bool:
    """Whether the file on disk is the one its record describes: the record says `generated` and
    the file has the recorded size. Generation, cache validation and serving all ask this, so
    none of them can trust a record whose file is gone."""
    return (
        record is not None
        and record.status == DerivativeStatus.GENERATED
        and file_size is not None
        and file_size == record.file_size
    )


def file_size_of(path: object) -> int | None:
    try:
        return path.stat().st_size  # type: ignore[attr-defined,no-any-return]
    except OSError:
        return None
