"""What route handlers receive: the runtime, the caller's session, the client address."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated

from fastapi import Depends, Request

from contactsheet.auth.tokens import AccessClaims
from contactsheet.errors import NotAuthenticated
from contactsheet.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def get_admin(request: Request) -> AccessClaims:
    claims = request.scope.get("state", {}).get("admin")
    if claims is None:
        raise NotAuthenticated("log in first")
    return claims  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AdminDep = Annotated[AccessClaims, Depends(get_admin)]


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The peer's address; X-Forwarded-For is believed only from a configured trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    # Walk from the nearest hop back; the first address not a trusted proxy is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if hop in trusted_proxies:
            continue
        try:
            return str(ip_address(hop))
        except ValueError:
            return peer
    return peer
