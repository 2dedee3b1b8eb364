"""The cache rules of SPEC §2 point 1, one decision at a time: a derivative is skipped only when the
source fingerprint, the parameters and the file (its size) all agree with a `generated` record;
`force` ignores the record; a failed source is retried only when it (or the engine) changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative
from contactsheet.derivatives.cache import Decision, Reason, decide, file_size_of

FP = "xxh3_128:" + "a" * 32
KEY = "k" * 32
SIZE = 12_345


def record(
    status: DerivativeStatus = DerivativeStatus.GENERATED,
    fingerprint: str | None = FP,
    key: str | None = KEY,
    file_size: int | None = SIZE,
) -> Derivative:
    return Derivative(
        photo_id=1,
        kind="thumbnail",
        status=status,
        source_fingerprint=fingerprint,
        params_key=key,
        file_size=file_size,
    )


@dataclass(frozen=True)
class Case:
    record: Derivative | None
    file_size: int | None
    expected: Decision
    fingerprint: str = FP
    key: str = KEY
    force: bool = False


G, F, M, P = (
    DerivativeStatus.GENERATED,
    DerivativeStatus.FAILED,
    DerivativeStatus.MISSING,
    DerivativeStatus.PENDING,
)
CASES = {
    "hit: record, source, parameters and file agree": Case(
        record(), SIZE, Decision(False, Reason.CACHE_HIT)
    ),
    "forced over a valid record": Case(record(), SIZE, Decision(True, Reason.FORCED), force=True),
    "forced over a failed record": Case(
        record(F, file_size=None), None, Decision(True, Reason.FORCED), force=True
    ),
    "forced without a record": Case(None, None, Decision(True, Reason.FORCED), force=True),
    "no record": Case(None, None, Decision(True, Reason.NEVER_MADE)),
    "no record, though a file is there": Case(None, SIZE, Decision(True, Reason.NEVER_MADE)),
    "pending record": Case(record(P), SIZE, Decision(True, Reason.NEVER_MADE)),
    "source bytes changed": Case(
        record(), SIZE, Decision(True, Reason.SOURCE_CHANGED), fingerprint="xxh3_128:" + "b" * 32
    ),
    "record without a fingerprint": Case(
        record(fingerprint=None), SIZE, Decision(True, Reason.SOURCE_CHANGED)
    ),
    "failed, source changed since": Case(
        record(F, file_size=None),
        None,
        Decision(True, Reason.SOURCE_CHANGED),
        fingerprint="xxh3_128:" + "c" * 32,
    ),
    "parameters changed (size, quality, format or engine)": Case(
        record(), SIZE, Decision(True, Reason.PARAMS_CHANGED), key="other-key"
    ),
    "failed, engine changed since": Case(
        record(F, file_size=None), None, Decision(True, Reason.PARAMS_CHANGED), key="new-engine"
    ),
    "failed, nothing changed": Case(
        record(F, file_size=None), None, Decision(False, Reason.FAILED_UNCHANGED)
    ),
    "failed, nothing changed, a stray file present": Case(
        record(F, file_size=None), SIZE, Decision(False, Reason.FAILED_UNCHANGED)
    ),
    "generated but the file is gone": Case(record(), None, Decision(True, Reason.FILE_MISSING)),
    "marked missing": Case(record(M), None, Decision(True, Reason.FILE_MISSING)),
    "marked missing, though a file came back": Case(
        record(M), SIZE, Decision(True, Reason.FILE_MISSING)
    ),
    "file of another size (damaged, replaced)": Case(
        record(), SIZE - 1, Decision(True, Reason.FILE_SIZE_DIFFERS)
    ),
    "empty file": Case(record(), 0, Decision(True, Reason.FILE_SIZE_DIFFERS)),
    "record without a size": Case(
        record(file_size=None), SIZE, Decision(True, Reason.FILE_SIZE_DIFFERS)
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_decide(case: Case) -> None:
    decision = decide(
        case.record,
        source_fingerprint=case.fingerprint,
        params_key=case.key,
        file_size=case.file_size,
        force=case.force,
    )
    assert decision == case.expected


def test_every_reason_is_covered() -> None:
    assert {case.expected.reason for case in CASES.values()} == set(Reason)


def test_only_a_cache_hit_or_an_unchanged_failure_skips() -> None:
    skipping = {c.expected.reason for c in CASES.values() if not c.expected.generate}
    assert skipping == {Reason.CACHE_HIT, Reason.FAILED_UNCHANGED}


def test_file_size_of(tmp_path: Path) -> None:
    path = tmp_path / "thumb.webp"
    assert file_size_of(path) is None
    path.write_bytes(b"x" * 17)
    assert file_size_of(path) == 17
    path.write_bytes(b"")
    assert file_size_of(path) == 0
