"""Login, refresh and logout. Tokens travel only in HTTP-only SameSite=Strict cookies."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Cookie, Request, Response
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep, client_ip
from contactsheet.api.guard import ACCESS_COOKIE, REFRESH_COOKIE, read_cookie
from contactsheet.auth import sessions
from contactsheet.auth.passwords import ADMIN_USERNAME
from contactsheet.auth.sessions import IssuedTokens
from contactsheet.auth.tokens import read_access_token
from contactsheet.clock import utcnow
from contactsheet.errors import RateLimited
from contactsheet.runtime import Runtime

router = APIRouter(prefix="/api/auth", tags=["auth"])
REFRESH_COOKIE_PATH = "/api/auth"


class LoginRequest(BaseModel):
    username: str = Field(ADMIN_USERNAME, max_length=64)
    password: str = Field(max_length=1024)


class SessionInfo(BaseModel):
    username: str
    access_expires_in: int


def _set_cookies(response: Response, runtime: Runtime, tokens: IssuedTokens) -> None:
    secure = runtime.settings.auth.cookie_secure
    response.set_cookie(
        ACCESS_COOKIE,
        tokens.access_token,
        max_age=tokens.access_max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=tokens.refresh_max_age,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _clear_cookies(response: Response, runtime: Runtime) -> None:
    secure = runtime.settings.auth.cookie_secure
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_COOKIE_PATH)):
        response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=secure)


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, response: Response, runtime: RuntimeDep
) -> SessionInfo:
    """Log in as the admin. Ten failures in five minutes from one address (or fifty against the
    account from all addresses) answer 429 with Retry-After."""
    ip = client_ip(request, runtime.settings.auth.trusted_proxies)
    limits = runtime.limits
    if wait := limits.begin_login(ip, body.username):
        raise RateLimited(f"too many failed logins; try again in {wait} s", retry_after=wait)
    tokens = await anyio.to_thread.run_sync(
        lambda: sessions.login(
            runtime.db,
            runtime.secret_key,
            runtime.settings.auth,
            body.username,
            body.password,
            client_ip=ip,
            user_agent=request.headers.get("user-agent"),
        )
    )
    limits.login_succeeded(ip, body.username)
    _set_cookies(response, runtime, tokens)
    return SessionInfo(username=tokens.username, access_expires_in=tokens.access_max_age)


@router.post("/refresh")
def refresh(
    response: Response,
    runtime: RuntimeDep,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> SessionInfo:
    """Trade the refresh cookie for new cookies; the old refresh token stops working."""
    tokens = sessions.refresh(
        runtime.db, runtime.secret_key, runtime.settings.auth, refresh_token or ""
    )
    _set_cookies(response, runtime, tokens)
    return SessionInfo(username=tokens.username, access_expires_in=tokens.access_max_age)


@router.post("/logout")
def logout(request: Request, response: Response, runtime: RuntimeDep) -> dict[str, bool]:
    """End the session (both tokens stop working) and clear the cookies. Always succeeds."""
    access = read_cookie(request.scope, ACCESS_COOKIE)
    claims = read_access_token(runtime.secret_key, access) if access else None
    sessions.revoke(
        runtime.db,
        refresh_token=read_cookie(request.scope, REFRESH_COOKIE),
        session_id=claims.session_id if claims else None,
    )
    _clear_cookies(response, runtime)
    return {"ok": True}


@router.get("/session")
def current_session(request: Request, runtime: RuntimeDep) -> SessionInfo:
    """Who is logged in (401 when nobody): lets the UI decide between the login page and the app."""
    claims = sessions.authenticate(
        runtime.db, runtime.secret_key, read_cookie(request.scope, ACCESS_COOKIE)
    )
    remaining = int((claims.expires_at - utcnow()).total_seconds())
    return SessionInfo(username=claims.username, access_expires_in=max(0, remaining))
