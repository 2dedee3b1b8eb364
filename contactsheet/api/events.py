"""The event stream: Server-Sent Events with channels, heartbeat, resumption and a per-login cap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from contactsheet.api.deps import AdminDep, RuntimeDep
from contactsheet.api.params import ID_MAX, EventCursor
from contactsheet.errors import InvalidInput
from contactsheet.jobs.events import CHANNELS, EventHub, PublishedEvent

router = APIRouter(tags=["events"])


def _sse(event: PublishedEvent) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps({"channel": event.channel, **event.data}, default=str),
        event=event.type,
        id=str(event.id),
    )


def _notice(kind: str, **data: object) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data), event=kind)


class _SubscribedStream(EventSourceResponse):
    """Releases its subscription when the response ends, however it ends.

    The generator's own `finally` is not enough: a HEAD request, or a client gone before the
    first event, ends the response without ever starting the generator."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _channels(raw: str | None) -> frozenset[str]:
    if raw is None:
        return CHANNELS
    wanted = frozenset(c.strip() for c in raw.split(",") if c.strip())
    if not wanted or not wanted <= CHANNELS:
        raise InvalidInput(f"channels must be some of {sorted(CHANNELS)}")
    return wanted


def _last_id(header: str | None, query: int | None) -> int | None:
    if header is None:
        return query
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    value = header.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > ID_MAX:
        raise InvalidInput("Last-Event-ID must be an event id")
    return int(value)


@router.get(
    "/api/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    request: Request,
    runtime: RuntimeDep,
    admin: AdminDep,
    channels: Annotated[str | None, Query(description="comma list: jobs, pending-changes")] = None,
    last_event_id_query: Annotated[EventCursor | None, Query(alias="last_event_id")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Live events. Reconnect with `Last-Event-ID` to receive what was missed (an `reset` event
    says when that is no longer kept: reload instead). At most a few streams per login (429)."""
    hub: EventHub = request.app.state.hub
    wanted = _channels(channels)
    after = _last_id(last_event_id, last_event_id_query)
    await hub.started()
    subscription = hub.subscribe(str(admin.session_id), wanted)
    live_from = hub.cursor

    async def stream() -> AsyncIterator[ServerSentEvent]:
        last = live_from
        if after is not None and after < live_from:
            missed, truncated = await hub.backlog(wanted, after, live_from)
            if truncated:
                yield _notice("reset", reason="some events since your last id are gone")
            for event in missed:
                yield _sse(event)
        yield ServerSentEvent(
            data=json.dumps({"last_event_id": live_from}), event="ready", id=str(live_from)
        )
        while True:
            event = await subscription.queue.get()
            if event.id <= last:
                continue
            last = event.id
            yield _sse(event)
            if subscription.overflowed:
                yield _notice("reset", reason="this client fell too far behind; reconnect")
                return

    return _SubscribedStream(
        stream(),
        release=lambda: hub.unsubscribe(subscription),
        ping=runtime.settings.pipeline.events_heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
