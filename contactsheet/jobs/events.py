"""Events: written as rows in the same transaction as the change they describe, then fanned out.

Writing every event to the `events` table gives one ordered id sequence across every process:
a worker in another process publishes exactly like the server does, the server's hub tails the
table, and a browser resumes with `Last-Event-ID` from any id still retained.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.database import after_commit
from contactsheet.db.locks import number_in_commit_order
from contactsheet.db.tables import Event
from contactsheet.errors import RateLimited
from contactsheet.logs import log_event

log = logging.getLogger(__name__)

CHANNELS = frozenset({"jobs", "pending-changes"})
BACKLOG_LIMIT = 1000
RETENTION = timedelta(hours=24)
SUBSCRIBER_QUEUE = 1000
EVENT_ORDER_LOCK = 0x63736576  # "csev": the lock that keeps event ids in commit order


@dataclass(frozen=True)
class PublishedEvent:
    id: int
    channel: str
    type: str
    data: dict[str, Any]


# Called after a transaction that published events commits, so this process's hub polls at once
# instead of at its next interval. Other processes' events arrive by polling.
_listeners: list[Callable[[], None]] = []


def on_publish(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[], None]) -> None:
    with contextlib.suppress(ValueError):
        _listeners.remove(listener)


def add_event(session: Session, channel: str, type_: str, data: dict[str, Any]) -> None:
    """Publish an event as part of the session's transaction: it exists only if that commits."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown event channel {channel!r}")
    # Hubs tail the table by id: an event committed after a newer one was streamed would be lost.
    number_in_commit_order(session, EVENT_ORDER_LOCK)
    session.add(Event(channel=channel, type=type_, data=data))
    for listener in _listeners:
        after_commit(session, listener)


def publish(db: Database, channel: str, type_: str, data: dict[str, Any]) -> None:
    """Publish an event in a transaction of its own."""
    with db.write() as session:
        add_event(session, channel, type_, data)


def prune_events(db: Database, older_than: timedelta = RETENTION) -> int:
    with db.write() as session:
        result = session.execute(delete(Event).where(Event.created_at < utcnow() - older_than))
        return result.rowcount or 0  # type: ignore[attr-defined]


def _rows_after(db: Database, after_id: int, channels: frozenset[str], limit: int) -> list[Event]:
    with db.read() as session:
        query = (
            select(Event)
            .where(Event.id > after_id, Event.channel.in_(channels))
            .order_by(Event.id)
            .limit(limit)
        )
        return list(session.scalars(query))


def _newest_id(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(Event.id))) or 0


def _oldest_id(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.min(Event.id))) or 0


@dataclass(eq=False)
class Subscription:
    client: str
    channels: frozenset[str]
    queue: asyncio.Queue[PublishedEvent] = field(
        default_factory=lambda: asyncio.Queue(SUBSCRIBER_QUEUE)
    )
    overflowed: bool = False


class EventHub:
    """Tails the events table and hands each new event to the subscribers of its channel."""

    def __init__(
        self, db: Database, *, poll_interval: float = 0.25, max_per_client: int = 4
    ) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.max_per_client = max_per_client
        self._subscribers: set[Subscription] = set()
        self._cursor = 0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = asyncio.Event()
        self._stopping = False

    @property
    def cursor(self) -> int:
        return self._cursor

    async def started(self, timeout: float = 10.0) -> None:
        """Wait until the hub knows where the table ends (a cursor of 0 would replay nothing)."""
        await asyncio.wait_for(self._started.wait(), timeout)

    def wake(self) -> None:
        """Poll now instead of at the next interval; safe to call from any thread."""
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
                self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """End `run` after its current poll. Cancelling the task alone is not enough: a cancel
        that arrives while a poll waits on its thread can be lost, and shutdown then waits
        forever."""
        self._stopping = True
        self.wake()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._cursor = await anyio.to_thread.run_sync(_newest_id, self.db, abandon_on_cancel=True)
        self._started.set()
        while not self._stopping:
            try:
                rows = await anyio.to_thread.run_sync(
                    _rows_after,
                    self.db,
                    self._cursor,
                    CHANNELS,
                    BACKLOG_LIMIT,
                    abandon_on_cancel=True,
                )
            except Exception as exc:  # a database hiccup must not end the stream for everyone
                log_event(log, "event_poll_failed", logging.WARNING, error=repr(exc))
                rows = []
            for row in rows:
                self._dispatch(PublishedEvent(row.id, row.channel, row.type, row.data))
                self._cursor = row.id
            if len(rows) < BACKLOG_LIMIT:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                self._wake.clear()

    def _dispatch(self, event: PublishedEvent) -> None:
        for subscription in list(self._subscribers):
            if event.channel not in subscription.channels:
                continue
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client this far behind reconnects and resumes from its Last-Event-ID.
                subscription.overflowed = True

    def subscribe(self, client: str, channels: frozenset[str]) -> Subscription:
        open_streams = sum(1 for s in self._subscribers if s.client == client)
        if open_streams >= self.max_per_client:
            raise RateLimited(
                f"at most {self.max_per_client} event streams per client; close one first",
                retry_after=5,
            )
        subscription = Subscription(client=client, channels=channels)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    async def backlog(
        self, channels: frozenset[str], after_id: int, up_to: int
    ) -> tuple[list[PublishedEvent], bool]:
        """Events after `after_id` up to `up_to`; and whether some were already pruned."""
        oldest = await anyio.to_thread.run_sync(_oldest_id, self.db)
        rows = await anyio.to_thread.run_sync(
            _rows_after, self.db, after_id, channels, BACKLOG_LIMIT
        )
        events = [PublishedEvent(r.id, r.channel, r.type, r.data) for r in rows if r.id <= up_to]
        truncated = after_id + 1 < oldest or len(rows) == BACKLOG_LIMIT
        return events, truncated
