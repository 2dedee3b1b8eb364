"""Derivative records set against their files by stat alone, for the steps that look at every
photo of the library (`cache_validation`, `contactsheet check`).

Both read plain rows rather than ORM objects and confine each project's folders once per run
rather than once per file: at 100,000 photos the objects and the per-file `resolve()` were most of
their time (docs/maintenance.md, "Speed").
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from contactsheet.db.tables import Derivative
from contactsheet.derivatives.params import EXTENSIONS, DerivativeSpec
from contactsheet.errors import UnsafePath
from contactsheet.library.paths import (
    DERIVATIVE_DIRS,
    LibraryPaths,
    derivative_name,
    is_single_component,
    regular_file_size,
)

# What the cache rules read of a record (`cache.standing`), and what a report quotes.
RECORD_COLUMNS = (
    Derivative.id,
    Derivative.photo_id,
    Derivative.kind,
    Derivative.status,
    Derivative.params_key,
    Derivative.source_name,
    Derivative.source_size,
    Derivative.file_size,
    Derivative.error,
)

Records = dict[int, dict[str, Row[Any]]]


def records_of(session: Session, photo_ids: Iterable[int]) -> Records:
    """The derivative records of these photos, by photo and kind (one query per call: the
    callers pass at most a chunk's worth of ids)."""
    found: Records = {}
    query = select(*RECORD_COLUMNS).where(Derivative.photo_id.in_(list(photo_ids)))
    for record in session.execute(query):
        found.setdefault(record.photo_id, {})[record.kind] = record
    return found


class ProjectFolders:
    """Each project's folder and derivative folders, confined to the library the first time they
    are asked for. A derivative folder replaced by a link holds nothing of the library's: its
    files count as absent. Paths are plain strings: building a `Path` per file cost more than
    the stat."""

    def __init__(self, paths: LibraryPaths, wanted: dict[str, DerivativeSpec]) -> None:
        self.paths = paths
        self.wanted = wanted
        self._known: dict[str, tuple[str, dict[str, str | None]]] = {}

    def _of(self, folder: str) -> tuple[str, dict[str, str | None]]:
        known = self._known.get(folder)
        if known is None:
            dirs: dict[str, str | None] = {}
            for kind in self.wanted:
                try:
                    dirs[kind] = os.fspath(self.paths.app_dir(folder, DERIVATIVE_DIRS[kind]))
                except UnsafePath:
                    dirs[kind] = None
            known = self._known[folder] = (os.fspath(self.paths.project_dir(folder)), dirs)
        return known

    def source_size(self, folder: str, filename: str) -> int | None:
        """The size of an original the catalog lists (names were checked when indexed; one with
        a separator is refused all the same)."""
        if not is_single_component(filename):
            return None
        return regular_file_size(f"{self._of(folder)[0]}{os.sep}{filename}")

    def derivative_size(self, folder: str, basename: str, kind: str) -> int | None:
        directory = self._of(folder)[1][kind]
        if directory is None:
            return None
        try:
            name = derivative_name(basename, EXTENSIONS[self.wanted[kind].format])
        except UnsafePath:
            return None
        return regular_file_size(f"{directory}{os.sep}{name}")
