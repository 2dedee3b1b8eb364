"""Where resumable (tus) uploads wait until they are complete, and their expiry."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tuspyserver.lock import acquire_upload_lock

from contactsheet.ingest.staging import remove_abandoned_staged
from contactsheet.runtime import Runtime

KEEP_ABANDONED_SECONDS = 24 * 3600


def tus_dir(runtime: Runtime) -> Path:
    return runtime.paths.root / "uploads" / "tus"


def align_to_offset(runtime: Runtime, uid: str) -> None:
    """Cut an upload's data back to the offset its `.info` records.

    A write that failed part-way (a full disk) leaves bytes beyond the recorded offset, and the
    next PATCH appends after them: the resumed file would hold a stretch twice. Done under the
    same per-upload lock the tus server writes under, so no write in progress is cut.
    """
    directory = tus_dir(runtime)
    data = directory / uid
    if not data.is_file():
        return
    with acquire_upload_lock(str(data), locks_dir=str(directory / ".locks"), blocking=True):
        try:
            offset = int(json.loads(data.with_name(uid + ".info").read_text())["offset"] or 0)
        except (OSError, ValueError, KeyError, TypeError):
            return  # no readable offset: the tus server answers this upload itself
        if data.stat().st_size > offset >= 0:
            os.truncate(data, offset)


def remove_upload(data: Path) -> None:
    """A resumable upload's data and its `.info`, once it is finished with."""
    data.unlink(missing_ok=True)
    data.with_name(data.name + ".info").unlink(missing_ok=True)


def expire_abandoned(runtime: Runtime, now: float | None = None) -> int:
    """Delete unfinished uploads not touched for a day, and files a killed server left staged;
    returns how many."""
    now = now or time.time()
    removed = remove_abandoned_staged(runtime.paths, KEEP_ABANDONED_SECONDS, now)
    directory = tus_dir(runtime)
    if not directory.is_dir():
        return removed
    cutoff = now - KEEP_ABANDONED_SECONDS
    for entry in directory.iterdir():
        if entry.suffix == ".info" or not entry.is_file():
            continue
        info = entry.with_name(entry.name + ".info")
        touched = max(entry.stat().st_mtime, info.stat().st_mtime if info.exists() else 0)
        if touched < cutoff:
            remove_upload(entry)
            removed += 1
    return removed
