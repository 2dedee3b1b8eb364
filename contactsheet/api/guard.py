"""The gate in front of every `/api` route: deny by default, admit the admin's session.

Enforced here, once, instead of on each route, so a route added tomorrow is protected without
anyone remembering to protect it. Only PUBLIC_PATHS and PUBLIC_PREFIXES pass without a session;
outside /api, only the shared galleries (`/shared/*`, api/shared.py) serve anything of the
library, and only what a link makes public.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

import anyio
from fastapi import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from contactsheet.api.errors import error_response
from contactsheet.auth.sessions import authenticate
from contactsheet.errors import NotAuthenticated
from contactsheet.runtime import Runtime

ACCESS_COOKIE = "cs_access"
REFRESH_COOKIE = "cs_refresh"
PUBLIC_PATHS = frozenset({"/api/health"})
# A signed download URL carries its own proof (contactsheet/sharing/signed_urls.py).
PUBLIC_PREFIXES = ("/api/auth/", "/api/downloads/")


def is_protected(path: str) -> bool:
    if not (path == "/api" or path.startswith("/api/")):
        return False
    return path not in PUBLIC_PATHS and not path.startswith(PUBLIC_PREFIXES)


def read_cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
            if name in jar:
                return jar[name].value
    return None


class AdminGuard:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and is_protected(scope["path"]):
            token = read_cookie(scope, ACCESS_COOKIE)
            try:
                claims = await anyio.to_thread.run_sync(
                    authenticate, self.runtime.db, self.runtime.secret_key, token
                )
            except NotAuthenticated as exc:
                response = error_response(exc.status, exc.code, exc.message)
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["admin"] = claims
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` (413) except on paths that stream files."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        streaming_suffixes: tuple[str, ...],
        streaming_prefixes: tuple[str, ...],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streaming_suffixes = streaming_suffixes
        self.streaming_prefixes = streaming_prefixes

    def _streams(self, path: str) -> bool:
        return path.endswith(self.streaming_suffixes) or path.startswith(self.streaming_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._streams(scope["path"]):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                response = error_response(413, "payload_too_large", self._message())
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> dict:  # type: ignore[type-arg]
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets an HTTPException out of body parsing as it is.
                    raise HTTPException(413, self._message())
            return message  # type: ignore[no-any-return]

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body over {self.max_bytes} bytes"
