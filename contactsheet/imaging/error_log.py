"""Who may use libvips while a damaged file's messages are read, and libvips' process-wide settings.

Every module here that calls libvips imports this one (its work runs under the guard), so the
settings below hold before any of that work starts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyvips

# The operation cache keys `thumbnail(filename)` by path: a file replaced in place would come back
# stale, and a server that sees each upload once gains nothing from caching it.
pyvips.cache_set_max(0)
# Loaders libvips marks as unsafe for hostile input (e.g. via ImageMagick, MATLAB) stay off; the
# engine only routes sniffed JPEG/PNG/TIFF/WebP to libvips anyway.
pyvips.block_untrusted_set(True)


class ErrorLogGuard:
    """Who may decode while a damaged file's messages are read.

    libvips keeps one error log for the whole process: its decoders write their warnings there, even
    in decodes that succeed, and pyvips empties it at any failure. Decodes running at the same time
    would take each other's messages, or lose their own, and so would any other libvips work: a
    ThumbHash computed beside a damaged TIFF's decode took its "Bad code word" from 42 of 80
    decodes. So all libvips work here runs shared, and a file that fails is decoded again alone
    (the others wait, briefly: damaged files are rare): the messages read then are its own.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting_alone = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            while self._alone or self._waiting_alone:
                self._changed.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._changed:
                self._shared -= 1
                self._changed.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._changed:
            self._waiting_alone += 1
            while self._alone or self._shared:
                self._changed.wait()
            self._waiting_alone -= 1
            self._alone = True
        pyvips.vips_lib.vips_error_clear()
        try:
            yield
        finally:
            # what the lenient decode ignored must not be read as part of a later failure
            pyvips.vips_lib.vips_error_clear()
            with self._changed:
                self._alone = False
                self._changed.notify_all()


# One guard, as libvips has one error log per process.
error_log = ErrorLogGuard()
