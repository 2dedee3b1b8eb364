"""The hash in a shared photo's asset URLs (`/shared/assets/<link>/<photo>/<hash>/thumbnail`).

Stateless: an HMAC of the link's key, the photo's id and the rotation period it was issued in, so
a regenerated or deleted link takes its image URLs with it. A new hash is
issued every `public_hash_rotate_days`; each works for `public_hash_valid_days` from the start of
its period, so a gallery page left open (or an image a browser cached) keeps working across one
rotation, while a URL copied out of a gallery stops working within the validity. A guessed or
stale hash is refused like an unknown photo.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime

from contactsheet.config import SharingSettings

HASH_CHARS = 22
DAY = 86400.0


def _period(settings: SharingSettings, at: datetime) -> int:
    return math.floor(at.timestamp() / (settings.public_hash_rotate_days * DAY))


def _hash(secret: str, link_key: str, photo_id: int, period: int) -> str:
    message = f"public-asset:{link_key}:{photo_id}:{period}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:HASH_CHARS]


def public_hash(
    secret: str, settings: SharingSettings, link_key: str, photo_id: int, now: datetime
) -> str:
    """The hash issued now."""
    return _hash(secret, link_key, photo_id, _period(settings, now))


def hash_is_valid(
    secret: str,
    settings: SharingSettings,
    link_key: str,
    photo_id: int,
    given: str,
    now: datetime,
) -> bool:
    if len(given) != HASH_CHARS or not given.isascii():
        return False
    rotate = settings.public_hash_rotate_days * DAY
    current = _period(settings, now)
    # Every period whose validity reaches `now`: the current one and as many before it as the
    # validity spans (one, with 21 and 28 days).
    back = math.ceil(settings.public_hash_valid_days / settings.public_hash_rotate_days)
    valid = False
    for period in range(current - back, current + 1):
        started = period * rotate
        if now.timestamp() < started + settings.public_hash_valid_days * DAY:
            valid |= hmac.compare_digest(_hash(secret, link_key, photo_id, period), given)
    return valid


def max_age_seconds(settings: SharingSettings, now: datetime) -> int:
    """How long a cache may keep an asset served now: until its hash stops working."""
    rotate = settings.public_hash_rotate_days * DAY
    started = _period(settings, now) * rotate
    left = started + settings.public_hash_valid_days * DAY - now.timestamp()
    return max(0, int(left))
