"""Shared-link keys: random, looked up by digest and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# 32 random bytes: 43 URL-safe characters, far beyond guessing.
KEY_BYTES = 32
MIN_KEY_LENGTH = 32
MAX_KEY_LENGTH = 64


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    """What the database is searched by: the index lookup's timing says nothing about the key."""
    return hashlib.sha256(key.encode("utf-8", errors="replace")).hexdigest()


def plausible(key: str) -> bool:
    """Whether `key` could be one of ours (checked before any lookup, so junk costs nothing)."""
    return MIN_KEY_LENGTH <= len(key) <= MAX_KEY_LENGTH and key.isascii()


def same_key(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode("utf-8", errors="replace"))
