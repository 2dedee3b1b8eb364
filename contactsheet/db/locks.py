"""Named locks held until the transaction ends: one transaction at a time past a point.

SQLite needs none (its one writer already serialises every write transaction); PostgreSQL gets a
transaction-scoped advisory lock, released by the commit or rollback itself, so no path can
forget to release it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def hold_until_commit(session: Session, key: int | str) -> None:
    """Wait until no other transaction holds `key`, and hold it until this one ends. A name is
    turned into the lock's 64-bit number by a hash; a number is used as it is."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if isinstance(key, str):
        digest = hashlib.sha256(f"contactsheet:{key}".encode()).digest()
        key = int.from_bytes(digest[:8], signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def number_in_commit_order(session: Session, key: int) -> None:
    """Make the rows `session` inserts from now on take ids in the order transactions commit.

    PostgreSQL numbers a row when it is inserted, not when it commits, so a reader tailing
    `id > cursor` would skip a row committed after a newer id was read. Holding the lock `key` from
    before the insert until the commit makes id order commit order. SQLite's write lock already
    serialises whole transactions.
    """
    hold_until_commit(session, key)
