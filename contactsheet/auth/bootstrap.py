"""First start: a signing key in the data folder and an admin password, each made once."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from contactsheet.auth.passwords import generate_password, set_password, stored_hash
from contactsheet.db import Database


def load_or_create_secret_key(path: Path, configured: str | None) -> str:
    """The configured key, else the one in `path`, else a new one written there (mode 0600).

    The new key is written whole to a private file and then linked into place: `serve` and
    `worker` started together either make the key or read the other's complete one, never an
    empty file that was created but not yet written."""
    if configured:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _publish_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; remove it to make a new one")
    return key


def _publish_new_key(path: Path) -> None:
    fd, temp_name = tempfile.mkstemp(prefix=".secret-", dir=path.parent)  # mode 0600
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link(), unlike rename(), never replaces a key another process published first.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


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
