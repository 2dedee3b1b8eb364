"""Signed download URLs: a short-lived token naming one original of one photo.

JWTs signed with the server's key, with their own audience so neither an access token nor a
download token can stand in for the other. Expiry is checked against the application's clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from contactsheet.clock import utcnow

_ALGORITHM = "HS256"
_AUDIENCE = "contactsheet-download"
# Three unpadded base64url parts, as PyJWT writes them.
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class DownloadGrant:
    photo_id: int
    filename: str
    expires_at: datetime
    token: str


def sign_download(key: str, photo_id: int, filename: str, lifetime: timedelta) -> DownloadGrant:
    """A grant for one file of one photo, and (`token`) the string that carries it."""
    # Rounded up to the second the token can say: a URL works at least its whole lifetime.
    expires = (utcnow() + lifetime + timedelta(seconds=1)).replace(microsecond=0)
    claims = {"aud": _AUDIENCE, "pid": photo_id, "f": filename, "exp": int(expires.timestamp())}
    return DownloadGrant(photo_id, filename, expires, jwt.encode(claims, key, algorithm=_ALGORITHM))


def read_download(key: str, token: str) -> DownloadGrant | None:
    """The grant of a token we signed that has not expired; None for anything else (a token
    not written exactly as we write them, padding added included)."""
    if not TOKEN_FORM.fullmatch(token):
        return None
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["aud", "pid", "f", "exp"], "verify_exp": False},
        )
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo)
        if utcnow() >= expires:
            return None
        return DownloadGrant(int(claims["pid"]), str(claims["f"]), expires, token)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
        return None
