"""Rate limits, on the `limits` library's moving windows (docs/security.md).

Logins are limited by address and by account: ten failures in five minutes from one address,
and `login_account_max_failures` against the admin account from every address together (an
attacker with many addresses). Each attempt is counted before its password is checked, so a
burst of concurrent attempts cannot slip past while the first ones are still being checked; a
right password clears both counts. Other requests are limited per address by the rules of
`api/request_limits.py`.

The counts live in this process's memory: a restart forgets them, and several processes each
count their own (docs/security.md says how to run them behind one proxy that limits too).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from contactsheet.auth.passwords import ADMIN_USERNAME
from contactsheet.config import AuthSettings, SharingSettings


class RateLimits:
    def __init__(self, auth: AuthSettings, sharing: SharingSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._login_address = RateLimitItemPerSecond(
            auth.login_max_failures, auth.login_window_seconds
        )
        self._login_account = RateLimitItemPerSecond(
            auth.login_account_max_failures, auth.login_window_seconds
        )
        self.rules: dict[str, RateLimitItem] = {
            "anonymous": RateLimitItemPerMinute(sharing.anonymous_requests_per_minute),
            "assets": RateLimitItemPerMinute(sharing.asset_requests_per_minute),
            "destructive": RateLimitItemPerMinute(sharing.destructive_requests_per_minute),
            "upload": RateLimitItemPerMinute(sharing.upload_requests_per_minute),
        }

    def _retry_after(self, item: RateLimitItem, *key: str) -> int:
        reset_at = self._limiter.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def _hit(self, item: RateLimitItem, *key: str) -> int:
        """Count one; 0 when it was allowed, else the seconds until it would be."""
        return 0 if self._limiter.hit(item, *key) else self._retry_after(item, *key)

    def begin_login(self, address: str, username: str) -> int:
        """Count a login attempt as failed before it is checked; 0 when it may go on, else the
        Retry-After. Only the admin account is counted by account: a made-up name cannot fill
        memory, and fails anyway."""
        if wait := self._hit(self._login_address, "login-address", address):
            return wait
        if username == ADMIN_USERNAME:
            return self._hit(self._login_account, "login-account", username)
        return 0

    def login_succeeded(self, address: str, username: str) -> None:
        self._limiter.clear(self._login_address, "login-address", address)
        self._limiter.clear(self._login_account, "login-account", username)

    def request(self, rule: str, address: str) -> int:
        """Count one request under `rule`; 0 when allowed, else the Retry-After."""
        return self._hit(self.rules[rule], rule, address)
