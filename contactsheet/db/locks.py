"""Named locks held until the transaction ends: one transaction at a time past a point.

SQLite needs none (its one writer already serialises every write transaction); PostgreSQL gets a
transaction-scoped advisory lock, released by the commit or rollback itself, so no path can
forget to release it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def hold_until_commit(session: Session, name: str) -> None:
    """Wait until no other transaction holds `name`, and hold it until this one ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"contactsheet:{name}".encode()).digest()
    session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], signed=True))))
