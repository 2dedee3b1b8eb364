"""Sliding-window counter of failed logins per client address (docs/architecture.md)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """Allows `max_failures` per `window` seconds per key, then refuses until the oldest expires."""

    def __init__(
        self, max_failures: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def _wait(self, failures: deque[float], now: float) -> int:
        if len(failures) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def begin_attempt(self, key: str) -> tuple[int, float | None]:
        """Count an attempt as failed before it is checked: `(retry_after, stamp)`.

        Checking and recording in one step is what makes the limit hold under concurrency: when
        the check came first, every request that arrived during a slow password check passed it.
        A request that turns out right calls `reset`; one that ends without a verdict hands its
        stamp back with `withdraw`."""
        with self._lock:
            now = self._clock()
            failures = self._prune(key, now)
            if wait := self._wait(failures, now):
                return wait, None
            self._failures.setdefault(key, failures).append(now)
            return 0, now

    def withdraw(self, key: str, stamp: float) -> None:
        with self._lock:
            failures = self._failures.get(key)
            if failures is not None and stamp in failures:
                failures.remove(stamp)
                if not failures:
                    del self._failures[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
