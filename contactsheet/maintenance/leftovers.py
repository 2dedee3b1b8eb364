"""`leftover_cleanup`: what interrupted writes and uploads left behind, a day old or more.

Only the app's own names in transit are removed: temporary files of atomic writes (`.tmp-…`) and
staged uploads (`.upload-….part`) in project folders and their `.thumb`, `.preview` and `.trash`,
staged multipart uploads and expired resumable (tus) uploads. A day is longer than any write or
upload takes, and a resumable upload is given the same day to be resumed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from contactsheet.catalog.projects import active_projects
from contactsheet.errors import UnsafePath
from contactsheet.ingest.resumable import KEEP_ABANDONED_SECONDS
from contactsheet.ingest.resumable import expire_abandoned as expire_abandoned_uploads
from contactsheet.ingest.staging import STAGING_PREFIX
from contactsheet.library.atomic import TEMP_PREFIX
from contactsheet.library.paths import PREVIEW_DIR, THUMB_DIR, TRASH_DIR, LibraryPaths
from contactsheet.runtime import Runtime
from contactsheet.workers.context import JobContext

PREFIXES = (TEMP_PREFIX, STAGING_PREFIX)


def leftover_folders(paths: LibraryPaths, folder: str) -> list[Path]:
    """The project folder and those of its app folders that are real folders (never a link)."""
    found = [paths.project_dir(folder)]
    for name in (THUMB_DIR, PREVIEW_DIR, TRASH_DIR):
        try:
            found.append(paths.app_dir(folder, name))
        except UnsafePath:
            continue
    return found


def leftovers_in(directory: Path, older_than: float) -> list[Path]:
    """The app's temporary files in `directory` last written before `older_than` (epoch s)."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(PREFIXES) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < older_than:
                found.append(Path(entry.path))
        except OSError:
            continue
    return found


def project_leftovers(
    runtime: Runtime, project_id: int | None, now: float
) -> dict[str, list[Path]]:
    """Leftovers by project folder, for every active project (or one)."""
    cutoff = now - KEEP_ABANDONED_SECONDS
    found: dict[str, list[Path]] = {}
    for project in active_projects(runtime.db, runtime.tenant, project_id):
        paths = [
            p
            for d in leftover_folders(runtime.paths, project.folder)
            for p in leftovers_in(d, cutoff)
        ]
        if paths:
            found[project.folder] = paths
    return found


def leftover_cleanup(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    now = time.time()
    by_project = project_leftovers(runtime, context.job.project_id, now)
    removed = 0
    for paths in by_project.values():
        context.check_canceled()
        for path in paths:
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
    uploads = expire_abandoned_uploads(runtime, now) if context.job.project_id is None else 0
    found = {"temporary_files": sum(len(p) for p in by_project.values())}
    changed = {"temporary_files_removed": removed, "abandoned_uploads_removed": uploads}
    return context.report(found, changed)
