"""The time limit on libvips work done in this process: a computation past its deadline is stopped
by libvips' own kill flag (checked between tiles, so a stop is prompt and frees its memory)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pyvips

from contactsheet.imaging.decode_errors import DecodeError, vips_unreadable

_T = TypeVar("_T")


def run(
    source: Path,
    image: pyvips.Image,
    deadline: float,
    timeout: float,
    action: Callable[[pyvips.Image], _T],
) -> _T:
    """Evaluate `action(image)` under the deadline: libvips reports progress while it computes, and
    the handler sets the image's kill flag once time is up, which ends the computation."""
    if time.monotonic() >= deadline:
        raise DecodeError(source, timeout_reason(timeout))
    expired = False

    def on_eval(watched: pyvips.Image, _progress: object) -> None:
        nonlocal expired
        if time.monotonic() >= deadline:
            expired = True
            watched.set_kill(True)

    image.set_progress(True)
    image.signal_connect("eval", on_eval)
    try:
        return action(image)
    except pyvips.Error as error:
        if expired or time.monotonic() >= deadline:
            raise DecodeError(source, timeout_reason(timeout)) from None
        raise vips_unreadable(source, error) from None


def timeout_reason(timeout: float) -> str:
    return f"decoding took longer than the limit of {timeout:g} s and was stopped"
