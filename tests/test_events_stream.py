"""The event stream (docs/jobs.md) through a live server: login, order, resumption, cap, heartbeat.

Every read has a deadline: the server pings every 0.5 s, so a reader regains control at least
that often, and httpx's read timeout catches a server that sends nothing at all.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.config import Settings
from contactsheet.db import Database
from contactsheet.db.enums import TaskStatus
from contactsheet.db.tables import Event
from contactsheet.jobs.events import EventHub, add_event, publish
from contactsheet.pipeline import Pipeline
from contactsheet.runtime import Runtime, open_runtime
from tests.conftest import ADMIN_PASSWORD
from tests.livesrv import LiveServer, live_server

HTTP_TIMEOUT = httpx.Timeout(5.0)
EVENT_TIMEOUT = 20.0


# -- a small SSE client ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sse:
    event: str
    id: int | None
    data: dict[str, Any]


class SseStream:
    """Reads one open `text/event-stream` response, event by event, never past a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()
        self.comments: list[str] = []

    def _line(self, deadline: float) -> str:
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the event stream")
        return next(self._lines)

    def next_event(self, timeout: float = EVENT_TIMEOUT) -> Sse:
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        data: list[str] = []
        while True:
            line = self._line(deadline)
            if line == "":
                if fields or data:
                    raw_id = fields.get("id")
                    return Sse(
                        event=fields.get("event", "message"),
                        id=int(raw_id) if raw_id else None,
                        data=json.loads("\n".join(data)) if data else {},
                    )
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            else:
                fields[name] = value

    def until(self, stop: Callable[[Sse], bool], timeout: float = EVENT_TIMEOUT) -> list[Sse]:
        """Events up to and including the first for which `stop` is true."""
        deadline = time.monotonic() + timeout
        events = []
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            events.append(event)
            if stop(event):
                return events

    def wait_for_comment(self, timeout: float) -> str:
        """The next comment line (a heartbeat), read line by line."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline)
            if line.startswith(":"):
                return line


@contextmanager
def open_stream(
    client: httpx.Client, *, params: dict[str, str] | None = None, last_id: int | None = None
) -> Iterator[SseStream]:
    headers = {"Accept": "text/event-stream"}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    with client.stream("GET", "/api/events", params=params, headers=headers) as response:
        if response.status_code != 200:
            response.read()
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseStream(response)


# -- a live server with workers inside -------------------------------------------------------------


@dataclass
class Live:
    runtime: Runtime
    app: FastAPI
    server: LiveServer

    @property
    def hub(self) -> EventHub:
        return self.app.state.hub  # type: ignore[no-any-return]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=HTTP_TIMEOUT)

    @contextmanager
    def logged_in(self) -> Iterator[httpx.Client]:
        """A client holding its own admin session (each login is a separate client for the cap)."""
        with self.client() as client:
            response = client.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert response.status_code == 200, response.text
            assert "cs_access" in client.cookies
            yield client

    def start_items_task(self, count: int, delay: float) -> tuple[int, int]:
        """Start a `t_items` task; returns (task id, job id)."""
        with self.runtime.db.write() as session:
            job = self.runtime.queue.start_task(
                session, "t_items", payload={"count": count, "delay": delay}
            )
        assert job.task_id is not None
        return job.task_id, job.id

    def wait_task(self, task_id: int, timeout: float = EVENT_TIMEOUT) -> TaskStatus:
        deadline = time.monotonic() + timeout
        while True:
            status, _job = self.runtime.queue.task_status(task_id)
            if status != TaskStatus.RUNNING:
                return status
            assert time.monotonic() < deadline, f"task {task_id} still running"
            time.sleep(0.05)

    def newest_event_id(self) -> int:
        with self.runtime.db.read() as session:
            return session.scalar(select(func.max(Event.id))) or 0

    def wait_hub_caught_up(self, timeout: float = 10.0) -> int:
        """The newest event id, once the server's hub has dispatched up to it."""
        newest = self.newest_event_id()
        deadline = time.monotonic() + timeout
        while self.hub.cursor < newest:
            assert time.monotonic() < deadline, "the event hub did not catch up"
            time.sleep(0.05)
        return newest


@pytest.fixture
def live(data_dir: Path, database_url: str) -> Iterator[Live]:
    settings = Settings(
        data=data_dir,
        database_url=database_url,
        pipeline={  # type: ignore[arg-type]
            "scheduler_enabled": False,
            "workers_in_serve": False,
            "handler_modules": ["tests.jobsupport"],
            "events_per_client": 2,
            "events_heartbeat_seconds": 0.5,
        },
    )
    runtime = open_runtime(settings)
    ensure_admin_password(runtime.db, ADMIN_PASSWORD)
    try:
        app = create_app(runtime, pipeline=Pipeline(runtime, workers=True, scheduler=False))
        with live_server(app) as server:
            yield Live(runtime, app, server)
    finally:
        runtime.close()


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    with live.logged_in() as client:
        yield client


# -- tests ----------------------------------------------------------------------------------------


def test_stream_needs_login(live: Live) -> None:
    with live.client() as anonymous:
        response = anonymous.get("/api/events")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_job_events_arrive_in_order(live: Live, http: httpx.Client) -> None:
    with open_stream(http) as stream:
        ready = stream.next_event()
        assert ready.event == "ready"
        assert ready.id is not None
        task_id, job_id = live.start_items_task(count=5, delay=0.05)
        events = stream.until(
            lambda e: e.event == "task_completed" and e.data.get("task_id") == task_id
        )

    ids = [e.id for e in events]
    assert all(i is not None for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    assert all(i > ready.id for i in ids)  # type: ignore[operator]
    assert {e.data["channel"] for e in events} == {"jobs"}

    of_job = [e for e in events if e.data.get("job_id") == job_id]
    types = [e.event for e in of_job]
    assert types[0] == "job_queued"
    assert types[1] == "job_started"
    assert types[-1] == "job_completed"
    assert types.count("job_completed") == 1
    assert types.count("job_update") >= 1
    items = [e.data["name"] for e in of_job if e.event == "item"]
    assert items == [f"item-{i}" for i in range(5)]
    last_update = [e for e in of_job if e.event == "job_update"][-1]
    assert last_update.data["progress"] == {"done": 5, "total": 5}
    completed = of_job[-1].data
    assert completed["status"] == "completed"
    assert completed["task_id"] == task_id
    # The task's own end comes after its only job's.
    assert events[-1].event == "task_completed"
    assert events[-1].id > of_job[-1].id  # type: ignore[operator]


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    live: Live, http: httpx.Client
) -> None:
    with open_stream(http) as stream:
        assert stream.next_event().event == "ready"
        first_task, first_job = live.start_items_task(count=4, delay=0.05)
        seen = stream.until(lambda e: e.event == "item" and e.data.get("job_id") == first_job)
    remembered = seen[-1].id
    assert remembered is not None

    # While disconnected: the rest of the first task, and a whole second one.
    second_task, second_job = live.start_items_task(count=3, delay=0.0)
    assert live.wait_task(first_task) == TaskStatus.COMPLETED
    assert live.wait_task(second_task) == TaskStatus.COMPLETED
    newest = live.wait_hub_caught_up()
    with live.runtime.db.read() as session:
        missed = list(
            session.execute(
                select(Event.id, Event.type).where(Event.id > remembered).order_by(Event.id)
            )
        )
    assert missed, "nothing happened while disconnected"

    with open_stream(http, last_id=remembered) as stream:
        replayed = stream.until(lambda e: e.event == "ready")
    ready = replayed.pop()
    replayed_ids = [e.id for e in replayed]
    assert all(i is not None and i > remembered for i in replayed_ids)
    assert replayed_ids == sorted(set(replayed_ids)), "out of order or duplicated"  # type: ignore[type-var]
    assert [(e.id, e.event) for e in replayed] == [(i, t) for i, t in missed]
    assert ready.id == newest
    assert ready.data == {"last_event_id": newest}
    completed_jobs = {e.data["job_id"] for e in replayed if e.event == "job_completed"}
    assert completed_jobs == {first_job, second_job}


def test_reconnect_with_the_newest_id_replays_nothing(live: Live, http: httpx.Client) -> None:
    task_id, _job = live.start_items_task(count=2, delay=0.0)
    assert live.wait_task(task_id) == TaskStatus.COMPLETED
    newest = live.wait_hub_caught_up()
    with open_stream(http, last_id=newest) as stream:
        first = stream.next_event()
    assert first.event == "ready"
    assert first.id == newest


def test_connection_cap_per_login(live: Live, http: httpx.Client) -> None:
    with ExitStack() as streams:
        first = streams.enter_context(ExitStack())
        stream_a = first.enter_context(open_stream(http))
        assert stream_a.next_event().event == "ready"
        stream_b = streams.enter_context(open_stream(http))
        assert stream_b.next_event().event == "ready"

        with http.stream("GET", "/api/events") as refused:
            refused.read()
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit()
        assert refused.json()["error"]["code"] == "rate_limited"

        # The cap counts streams per login: another login is not refused.
        with live.logged_in() as other, open_stream(other) as stream_c:
            assert stream_c.next_event().event == "ready"

        first.close()  # the first stream's connection goes away
        deadline = time.monotonic() + 10
        while True:
            with http.stream("GET", "/api/events") as retry:
                if retry.status_code == 200:
                    assert SseStream(retry).next_event().event == "ready"
                    break
                retry.read()
                assert retry.status_code == 429, retry.text
            assert time.monotonic() < deadline, "the closed stream was never released"
            time.sleep(0.1)


def test_idle_stream_gets_heartbeats(live: Live, http: httpx.Client) -> None:
    with open_stream(http) as stream:
        assert stream.next_event().event == "ready"
        started = time.monotonic()
        comment = stream.wait_for_comment(timeout=3.0)
        assert time.monotonic() - started < 3.0
        assert comment.startswith(":")


def test_bad_stream_requests_are_refused(http: httpx.Client) -> None:
    bad_id = http.get("/api/events", headers={"Last-Event-ID": "abc"})
    assert bad_id.status_code == 400
    assert bad_id.json()["error"]["code"] == "invalid_input"
    bad_channel = http.get("/api/events", params={"channels": "jobs,nope"})
    assert bad_channel.status_code == 400
    assert bad_channel.json()["error"]["code"] == "invalid_input"


def test_channel_filter_leaves_out_job_events(live: Live, http: httpx.Client) -> None:
    with open_stream(http, params={"channels": "pending-changes"}) as stream:
        assert stream.next_event().event == "ready"
        task_id, _job = live.start_items_task(count=3, delay=0.0)
        assert live.wait_task(task_id) == TaskStatus.COMPLETED
        live.wait_hub_caught_up()
        # A marker on the wanted channel: everything before it has been dispatched already.
        publish(live.runtime.db, "pending-changes", "pending_changed", {"marker": True})
        events = stream.until(lambda e: e.event == "pending_changed")
    assert [e.event for e in events] == ["pending_changed"]
    assert events[0].data == {"channel": "pending-changes", "marker": True}


def test_an_event_committed_after_a_newer_one_is_not_lost(
    live: Live, http: httpx.Client, database_url: str
) -> None:
    """PostgreSQL numbers rows when they are inserted, not when they commit. A transaction that
    took an event id and commits after a later id was streamed must still reach the client."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite takes the write lock before numbering: ids follow commit order")
    other_process = Database(database_url)  # like a worker in another process
    try:
        with open_stream(http) as stream:
            assert stream.next_event().event == "ready"
            with other_process.write() as slow:
                add_event(slow, "jobs", "slow_marker", {})
                slow.flush()  # its id is taken now; the commit comes later
                fast = threading.Thread(
                    target=publish, args=(live.runtime.db, "jobs", "fast_marker", {}), daemon=True
                )
                fast.start()
                time.sleep(1.0)  # several hub polls: a committed fast_marker would be streamed
            fast.join(10)
            assert not fast.is_alive()
            seen: set[str] = set()

            def both(event: Sse) -> bool:
                seen.add(event.event)
                return {"slow_marker", "fast_marker"} <= seen

            events = stream.until(both, timeout=5.0)
    finally:
        other_process.dispose()
    assert [e.event for e in events] == ["slow_marker", "fast_marker"]
    assert events[0].id < events[1].id  # type: ignore[operator]


def test_a_stream_that_never_starts_gives_its_slot_back(app: FastAPI) -> None:
    # The server subscribes, then cannot even start the response (the connection is gone: some
    # servers raise from `send`). The generator never runs, so its own cleanup never runs either;
    # the subscription must still be released, or each such request keeps one of the slots.
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        assert client.post("/api/auth/login", json=login).status_code == 200
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/events",
            "raw_path": b"/api/events",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            raise OSError("the connection is gone")

        async def request_once() -> None:
            # The server's own error is not the point here: what is left behind is.
            with contextlib.suppress(Exception):
                await app(scope, receive, send)

        assert client.portal is not None
        for _ in range(6):
            client.portal.call(request_once)
        assert app.state.hub._subscribers == set()


def test_the_app_always_stops_while_events_are_published(runtime: Runtime) -> None:
    """Shutdown stops the event hub even when the stop meets a poll running on its thread; a lost
    cancel there once left `serve` (and the test client) waiting forever."""
    from fastapi.testclient import TestClient

    app = create_app(runtime)
    publishing = threading.Event()
    publishing.set()

    def publish_all_the_time() -> None:
        while publishing.is_set():
            publish(runtime.db, "jobs", "job_progress", {"n": 1})
            time.sleep(0.001)

    def start_and_stop(cycles: int) -> None:
        for i in range(cycles):
            with TestClient(app):
                time.sleep(0.002 * (i % 10))

    publisher = threading.Thread(target=publish_all_the_time, daemon=True)
    publisher.start()
    cycler = threading.Thread(target=start_and_stop, args=(60,), daemon=True)
    cycler.start()
    cycler.join(timeout=120)
    publishing.clear()
    publisher.join()
    assert not cycler.is_alive(), "the app did not stop: its event hub kept running"
