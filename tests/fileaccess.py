"""Which files were opened, as the kernel saw it (Linux inotify through libc): a test counts the
reads of real files by any code, in any thread, without touching that code."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

IN_CLOSE_WRITE = 0x00000008
IN_CLOSE_NOWRITE = 0x00000010
IN_OPEN = 0x00000020
# The kernel merges identical events still unread: watching closes too keeps two opens in a row
# (open, close, open, close) from counting as one. Opens overlapping in time may still merge.
_MASK = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (then `len` bytes of name)


class OpenCounter:
    """Counts opens of each watched file from `start()` on; use as a context manager."""

    def __init__(self, paths: Iterable[Path]) -> None:
        if not sys.platform.startswith("linux"):
            pytest.skip("counting file opens needs Linux inotify")
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._paths = [Path(p) for p in paths]
        self._fd = -1
        self._watches: dict[int, Path] = {}
        self.opens: Counter[Path] = Counter()

    def __enter__(self) -> OpenCounter:
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        for path in self._paths:
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), _MASK)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
            self._watches[wd] = path
        return self

    def __exit__(self, *_exc: object) -> None:
        self.collect()
        os.close(self._fd)
        self._fd = -1

    def collect(self) -> Counter[Path]:
        """Read the events so far (the kernel queues them; nothing is lost before this)."""
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return self.opens
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size + length
                if mask & IN_OPEN and wd in self._watches:
                    self.opens[self._watches[wd]] += 1
        return self.opens

    def opened(self) -> list[str]:
        """Names of the watched files opened at least once."""
        return sorted(path.name for path, count in self.collect().items() if count)
