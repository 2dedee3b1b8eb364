"""First start: a signing key in the data folder and an admin password, each made once."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from contactsheet.auth.passwords import generate_password, set_password, stored_hash
from contactsheet.db import Database


def load_or_create_secret_key(path: Path, configured: str | None) -> str:
    """The configured key, else the one in `path`, else a new one written there (mode 0600)."""
    if configured:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable key; remove it to make a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def ensure_admin_password(db: Database, configured: str | None) -> str | None:
    """Set the admin password if none is set yet.

    Returns the generated password when one was made (to be shown once); None when a password
    already existed or the configured one was used.
    """
    with db.write() as session:
        if stored_hash(session) is not None:
            return None
        password = configured or generate_password()
        set_password(session, password)
    return None if configured else password
