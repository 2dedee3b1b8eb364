"""Where resumable (tus) uploads wait until they are complete, and their expiry."""

from __future__ import annotations

import time
from pathlib import Path

from contactsheet.runtime import Runtime

KEEP_ABANDONED_SECONDS = 24 * 3600


def tus_dir(runtime: Runtime) -> Path:
    return runtime.paths.root / "uploads" / "tus"


def expire_abandoned(runtime: Runtime, now: float | None = None) -> int:
    """Delete unfinished uploads not touched for a day; returns how many."""
    directory = tus_dir(runtime)
    if not directory.is_dir():
        return 0
    cutoff = (now or time.time()) - KEEP_ABANDONED_SECONDS
    removed = 0
    for entry in directory.iterdir():
        if entry.suffix == ".info" or not entry.is_file():
            continue
        info = entry.with_name(entry.name + ".info")
        touched = max(entry.stat().st_mtime, info.stat().st_mtime if info.exists() else 0)
        if touched < cutoff:
            entry.unlink(missing_ok=True)
            info.unlink(missing_ok=True)
            removed += 1
    return removed
