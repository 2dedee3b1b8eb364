"""Short-lived signed access tokens (JWT, HS256). The refresh token is random and stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from contactsheet.clock import utcnow

_ALGORITHM = "HS256"
_AUDIENCE = "contactsheet"


@dataclass(frozen=True)
class AccessClaims:
    username: str
    session_id: int
    expires_at: datetime


def issue_access_token(
    key: str, username: str, session_id: int, lifetime: timedelta, now: datetime | None = None
) -> str:
    issued = now or utcnow()
    claims = {
        "sub": username,
        "sid": session_id,
        "aud": _AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def read_access_token(key: str, token: str) -> AccessClaims | None:
    """The claims of a valid, unexpired token signed with `key`; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "sid", "exp", "aud"]},
        )
        return AccessClaims(
            username=str(claims["sub"]),
            session_id=int(claims["sid"]),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=utcnow().tzinfo),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    # The token is 256 random bits, so a plain fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()
