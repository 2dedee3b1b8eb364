"""Engines and sessions. The only module that knows SQLite and PostgreSQL are different.

SQLite gets the shape that never answers "database is locked": WAL journal (readers never block the
writer), a busy timeout, and one writer connection per process whose transactions start with
`BEGIN IMMEDIATE` (the write lock is taken up front, so two writers queue instead of deadlocking on
a read-to-write upgrade). Readers use their own pool and are `query_only`.

PostgreSQL uses one pooled engine for both; its MVCC needs no such care.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from contactsheet.db.chunks import SQLITE_MAX_PARAMETERS

SQLITE_BUSY_TIMEOUT_MS = 30_000
_AFTER_COMMIT = "contactsheet_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def number_in_commit_order(session: Session, lock_key: int) -> None:
    """Make the rows `session` inserts from now on take ids in the order transactions commit.

    PostgreSQL numbers a row when it is inserted, not when it commits, so a reader tailing
    `id > cursor` would skip a row committed after a newer id was read. Holding the advisory lock
    `lock_key` from before the insert until the commit makes id order commit order. SQLite needs
    nothing: its write lock already serialises whole transactions.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key)))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def _sqlite_engine(url: str, *, writer: bool) -> Engine:
    engine = create_engine(
        url,
        pool_size=1 if writer else 8,
        max_overflow=0 if writer else 8,
        pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 16 MiB of page cache instead of 2: filtered counts over a 100,000-photo library read
        # every row, and halve in time when those pages stay cached (bench/listing.py).
        cursor.execute("PRAGMA cache_size=-16384")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()
        # Builds differ (Debian allows 250,000 values per statement): the stock limit everywhere,
        # so a statement that only some builds would take fails here too.
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_PARAMETERS)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


class Database:
    """Hands out sessions: `read()` to query, `write()` for a transaction committed on exit."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                raise ValueError("SQLite needs a file path: WAL and several connections use it")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.writer_engine = _sqlite_engine(url, writer=True)
            self.reader_engine = _sqlite_engine(url, writer=False)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self.writer_engine = self.reader_engine = engine
        self._write_sessions = sessionmaker(self.writer_engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.reader_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        Do not nest: on SQLite there is one writer connection per process.
        """
        with self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot. Closing (not rolling back) keeps loaded objects readable."""
        with self._read_sessions() as session:
            yield session

    def dispose(self) -> None:
        self.writer_engine.dispose()
        if self.reader_engine is not self.writer_engine:
            self.reader_engine.dispose()
