"""The cache rules, in one place (docs/derivatives.md).

A derivative may be skipped only when all hold: the source's fingerprint equals the recorded one;
the parameters (sizes, quality, format, engine version) equal the recorded ones; the file exists
with the recorded size. `force` ignores the record. A failed source is retried only when the
source or the engine changed (a corrupt file is not re-queued every hour forever).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def file_matches(record: Derivative | None, file_size: int | None) -> bool:
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
