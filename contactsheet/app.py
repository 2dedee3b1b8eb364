"""Builds the web application: API routers, the gate in front of them, and the web UI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from contactsheet import __version__
from contactsheet.api import (
    assets,
    auth,
    check,
    downloads,
    events,
    health,
    jobs,
    photo_list,
    photos,
    projects,
    shared,
    shared_links,
    tasks,
    trash,
    uploads,
    webui,
)
from contactsheet.api.errors import ERROR_RESPONSES, install_error_handlers
from contactsheet.api.guard import AdminGuard, BodySizeLimit
from contactsheet.api.request_limits import ANONYMOUS_RULES, SESSION_RULES, RequestLimits
from contactsheet.api.same_origin import SameOriginWrites
from contactsheet.api.security_headers import SecurityHeaders
from contactsheet.api.tus import TUS_PREFIX, tus_router
from contactsheet.handlers import default_registry
from contactsheet.jobs.events import EventHub, on_publish, remove_listener
from contactsheet.pipeline import Pipeline
from contactsheet.runtime import Runtime

JSON_BODY_LIMIT = 1024 * 1024
# A poll in flight finishes within this; beyond it the hub is cancelled.
HUB_STOP_SECONDS = 5.0
# Routes whose bodies are files, limited by their own per-file rules instead.
STREAMING_SUFFIXES = ("/upload",)


def create_app(runtime: Runtime, *, pipeline: Pipeline | None = None) -> FastAPI:
    """The ASGI app. With a `pipeline`, its workers and scheduler run while the app does."""
    config = runtime.settings.pipeline
    registry = pipeline.registry if pipeline is not None else default_registry(config)
    hub = EventHub(runtime.db, max_per_client=config.events_per_client)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        on_publish(hub.wake)
        hub_task = asyncio.create_task(hub.run(), name="event-hub")
        if pipeline is not None:
            pipeline.start()
        try:
            yield
        finally:
            if pipeline is not None:
                await anyio.to_thread.run_sync(pipeline.stop)
            hub.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(hub_task), HUB_STOP_SECONDS)
            hub_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hub_task
            remove_listener(hub.wake)

    app = FastAPI(
        title="Contact Sheet",
        version=__version__,
        description="Self-hosted photo manager. Every /api route needs the admin session cookie "
        "(POST /api/auth/login) except /api/auth/* and /api/health.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.runtime = runtime
    app.state.registry = registry
    app.state.hub = hub
    install_error_handlers(app, runtime.settings.data)
    for router in (
        auth.router,
        health.router,
        projects.router,
        jobs.router,
        tasks.router,
        check.router,
        events.router,
        uploads.router,
        assets.router,
        photos.router,
        photos.project_router,
        photo_list.router,
        trash.router,
        shared_links.router,
        downloads.router,
        shared.router,
        tus_router(runtime),
        webui.router,
    ):
        app.include_router(router)

    app.mount(webui.STATIC_PREFIX, webui.static_files(), name="static")

    # Each add wraps the previous, so the last added runs first: security headers on every
    # answer, the size limit, the visitors' rate limits, CORS (preflights carry no cookie), the
    # same-origin check of cookie-carrying writes, the gate, then the limits of the admin's
    # destructive requests and uploads.
    app.add_middleware(RequestLimits, runtime=runtime, rules=SESSION_RULES)
    app.add_middleware(AdminGuard, runtime=runtime)
    app.add_middleware(SameOriginWrites, allowed_origins=runtime.settings.cors_origins)
    if runtime.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=runtime.settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(RequestLimits, runtime=runtime, rules=ANONYMOUS_RULES)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=JSON_BODY_LIMIT,
        streaming_suffixes=STREAMING_SUFFIXES,
        streaming_prefixes=(TUS_PREFIX,),
    )
    app.add_middleware(SecurityHeaders)
    return app
