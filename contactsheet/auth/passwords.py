"""The admin password: argon2id hash kept in the settings table."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from contactsheet.db.tables import Setting

ADMIN_USERNAME = "admin"
_PASSWORD_KEY = "admin_password_hash"  # noqa: S105 (a settings key, not a password)
MIN_PASSWORD_LENGTH = 8
# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~20 ms here instead of the library
# default's ~0.3 s, which made every login a small denial-of-service amplifier.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def stored_hash(session: Session) -> str | None:
    row = session.get(Setting, _PASSWORD_KEY)
    return row.value if row else None


def set_password(session: Session, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    row = session.get(Setting, _PASSWORD_KEY)
    if row is None:
        session.add(Setting(key=_PASSWORD_KEY, value=hash_password(password)))
    else:
        row.value = hash_password(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        # Spend the same time as a real check, so timing does not tell that no password is set.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
