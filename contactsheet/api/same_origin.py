"""A state-changing request that carries our session cookie must come from our own pages
(docs/security.md).

The cookies are SameSite=Strict, which already keeps them off cross-site requests; this check
also covers what SameSite does not: a sibling subdomain ("same-site" but not same-origin), old
browsers, and a login form posted from elsewhere. Browsers say where a request comes from in
`Sec-Fetch-Site`, and in `Origin` on every cross-origin POST; a request with neither is not a
browser's cross-site request (curl, a script) and the cookie it carries is its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from contactsheet.api.errors import error_response
from contactsheet.api.guard import ACCESS_COOKIE, REFRESH_COOKIE, read_cookie

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = "/api/auth/login"


def from_our_origin(headers: Headers, allowed_origins: list[str]) -> bool:
    """`Origin`, when the browser sent one, decides: ours (the request's own host; the scheme is
    not compared, since a proxy in front may end TLS) or one of `cors_origins`. Without it,
    `Sec-Fetch-Site` must say the request is the page's own."""
    origin = headers.get("origin")
    if origin is not None:
        if origin in allowed_origins:
            return True
        netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
        return bool(netloc) and netloc == headers.get("host", "").lower()
    site = headers.get("sec-fetch-site")
    return site is None or site in {"same-origin", "none"}


class SameOriginWrites:
    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and (
                scope["path"] == LOGIN_PATH
                or read_cookie(scope, ACCESS_COOKIE) is not None
                or read_cookie(scope, REFRESH_COOKIE) is not None
            )
            and not from_our_origin(Headers(scope=scope), self.allowed_origins)
        ):
            response = error_response(
                403, "cross_origin", "a state-changing request must come from this site's pages"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
