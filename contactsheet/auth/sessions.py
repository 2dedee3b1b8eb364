"""Login sessions: issue, check, refresh (with rotation) and revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactsheet.auth.passwords import (
    ADMIN_USERNAME,
    set_password,
    stored_hash,
    verify_password,
)
from contactsheet.auth.tokens import (
    AccessClaims,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    read_access_token,
)
from contactsheet.clock import utcnow
from contactsheet.config import AuthSettings
from contactsheet.db import Database
from contactsheet.db.tables import AuthSession
from contactsheet.errors import NotAuthenticated


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    access_max_age: int
    refresh_max_age: int
    username: str


def _issue(key: str, config: AuthSettings, row: AuthSession, refresh_token: str) -> IssuedTokens:
    access_lifetime = timedelta(minutes=config.access_token_minutes)
    return IssuedTokens(
        access_token=issue_access_token(key, row.username, row.id, access_lifetime),
        refresh_token=refresh_token,
        access_max_age=int(access_lifetime.total_seconds()),
        refresh_max_age=config.refresh_token_days * 86400,
        username=row.username,
    )


def login(
    db: Database,
    key: str,
    config: AuthSettings,
    username: str,
    password: str,
    client_ip: str | None = None,
    user_agent: str | None = None,
) -> IssuedTokens:
    with db.read() as session:
        password_hash = stored_hash(session)
    # Check the password even for a wrong username, so timing tells nothing.
    valid = verify_password(password_hash, password)
    if not valid or username != ADMIN_USERNAME:
        raise NotAuthenticated("wrong username or password")
    refresh_token = new_refresh_token()
    with db.write() as session:
        row = AuthSession(
            username=username,
            refresh_hash=hash_refresh_token(refresh_token),
            expires_at=utcnow() + timedelta(days=config.refresh_token_days),
            client_ip=client_ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        session.add(row)
        session.flush()
        return _issue(key, config, row, refresh_token)


def refresh(db: Database, key: str, config: AuthSettings, refresh_token: str) -> IssuedTokens:
    """New access and refresh tokens for a live session; the old refresh token stops working."""
    now = utcnow()
    with db.write() as session:
        row = session.scalar(
            select(AuthSession).where(AuthSession.refresh_hash == hash_refresh_token(refresh_token))
        )
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise NotAuthenticated("the session has ended; log in again")
        new_token = new_refresh_token()
        row.refresh_hash = hash_refresh_token(new_token)
        row.refreshed_at = now
        row.expires_at = now + timedelta(days=config.refresh_token_days)
        return _issue(key, config, row, new_token)


def revoke(db: Database, *, refresh_token: str | None, session_id: int | None) -> None:
    conditions = []
    if refresh_token:
        conditions.append(AuthSession.refresh_hash == hash_refresh_token(refresh_token))
    if session_id is not None:
        conditions.append(AuthSession.id == session_id)
    if not conditions:
        return
    with db.write() as session:
        for row in session.scalars(select(AuthSession).where(or_(*conditions))):
            row.revoked_at = row.revoked_at or utcnow()


def authenticate(db: Database, key: str, access_token: str | None) -> AccessClaims:
    """The claims of a valid access token whose session is still live."""
    claims = read_access_token(key, access_token) if access_token else None
    if claims is None:
        raise NotAuthenticated("log in first")
    with db.read() as session:
        row = session.get(AuthSession, claims.session_id)
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            raise NotAuthenticated("the session has ended; log in again")
    return claims


def change_admin_password(db: Database, password: str) -> int:
    """Set the admin password and end every open session in the same transaction, so no session
    of the old password outlives the change. Returns how many sessions ended; raises ValueError
    for a password that is too short."""
    with db.write() as session:
        set_password(session, password)
        return _revoke_all(session)


def _revoke_all(session: Session) -> int:
    now = utcnow()
    rows = list(session.scalars(select(AuthSession).where(AuthSession.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = now
    return len(rows)
