"""Time in one place, always timezone-aware UTC, so tests can reason about it.

Every "now" of the application comes from `utcnow`, so `shifted` can move the whole process an
hour or a day ahead: the rules that wait (a missing folder archived after an hour, trash purged
after 24 h) are tested on the real code path instead of on hand-edited timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_shift = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _shift


@contextmanager
def shifted(by: timedelta) -> Iterator[None]:
    """Run the block with every clock reading `by` later (cumulative when nested)."""
    global _shift
    before = _shift
    _shift = before + by
    try:
        yield
    finally:
        _shift = before
