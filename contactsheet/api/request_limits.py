"""Per-address limits on the requests an attacker would repeat (docs/security.md): the anonymous
gallery and signed-download routes, the gallery's images (far more of them: a visitor scrolling
a large gallery asks hundreds a minute), destructive requests, uploads. Login has its own limits
(api/auth.py). Over the limit: 429 with Retry-After."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from contactsheet.api.deps import client_ip
from contactsheet.api.errors import error_response
from contactsheet.api.tus import TUS_PREFIX
from contactsheet.runtime import Runtime

DESTRUCTIVE_SUFFIXES = ("/commit-changes", "/move", "/regenerate", "/restore")


def rule_of(method: str, path: str) -> str | None:
    """Which limit a request counts against, if any."""
    if path.startswith("/shared/assets/"):
        return "assets"
    if path.startswith(("/shared/", "/api/downloads/")):
        return "anonymous"
    if method in {"POST", "PATCH", "PUT"} and (
        path.startswith(TUS_PREFIX) or path.endswith("/upload")
    ):
        return "upload"
    if method == "DELETE" or (method == "POST" and path.endswith(DESTRUCTIVE_SUFFIXES)):
        return "destructive"
    return None


ANONYMOUS_RULES = frozenset({"anonymous", "assets"})
# Counted only once the gate has let the request in, so an anonymous flood of refused requests
# cannot use up the admin's own budget.
SESSION_RULES = frozenset({"destructive", "upload"})


class RequestLimits:
    def __init__(self, app: ASGIApp, runtime: Runtime, rules: frozenset[str]) -> None:
        self.app = app
        self.runtime = runtime
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            rule = rule_of(scope["method"], scope["path"])
            if rule in self.rules:
                address = client_ip(Request(scope), self.runtime.settings.auth.trusted_proxies)
                if wait := self.runtime.limits.request(rule, address):
                    response = error_response(
                        429,
                        "rate_limited",
                        f"too many requests; try again in {wait} s",
                        headers={"Retry-After": str(wait)},
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
