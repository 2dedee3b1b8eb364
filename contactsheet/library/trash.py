"""A project's `.trash`: files the app removes go here with a record of where they came from and
when, so they can be restored for 24 h and are purged by the time they were trashed, never by their
own modification time (a file trashed years after it was taken is kept its full 24 h)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db.enums import TrashReason
from contactsheet.db.tables import TrashEntry
from contactsheet.errors import UnsafePath
from contactsheet.library.paths import TRASH_DIR, LibraryPaths


def record_trash(
    session: Session,
    paths: LibraryPaths,
    *,
    tenant: str,
    project_id: int,
    folder: str,
    source: Path,
    reason: TrashReason,
) -> Path:
    """Record that `source` goes to the project's `.trash`; returns where. Moves nothing: commit
    the record first, then move, so a crash never leaves a trashed file nobody knows about."""
    source = paths.confine(source)
    trash_dir = paths.trash_dir(folder)
    trash_dir.mkdir(exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = paths.child(trash_dir, f"{stamp}-{secrets.token_hex(3)}-{source.name}")
    session.add(
        TrashEntry(
            tenant=tenant,
            project_id=project_id,
            original_path=str(source.relative_to(paths.root)),
            trash_path=str(target.relative_to(paths.root)),
            size=source.stat().st_size,
            reason=reason,
        )
    )
    session.flush()
    return target


def trash_file(
    session: Session,
    paths: LibraryPaths,
    *,
    tenant: str,
    project_id: int,
    folder: str,
    source: Path,
    reason: TrashReason,
) -> Path:
    """Record and move at once, inside the caller's transaction."""
    target = record_trash(
        session,
        paths,
        tenant=tenant,
        project_id=project_id,
        folder=folder,
        source=source,
        reason=reason,
    )
    source.rename(target)
    return target


def _in_folder(paths: LibraryPaths, stored: str, folder: str) -> str | None:
    """`stored` moved into the project folder `folder`; None when it is not inside a project
    folder (a whole deleted project's record, say)."""
    prefix = paths.projects_root.relative_to(paths.root).parts
    parts = PurePath(stored).parts
    if len(parts) <= len(prefix) + 1 or parts[: len(prefix)] != prefix:
        return None
    return str(PurePath(*prefix, folder, *parts[len(prefix) + 1 :]))


def follow_folder(session: Session, paths: LibraryPaths, project_id: int, folder: str) -> int:
    """The live trash records of a project now point into its folder `folder`. Called in the
    transaction that records the folder's new name, so the records never go stale."""
    entries = session.scalars(
        select(TrashEntry).where(
            TrashEntry.project_id == project_id,
            TrashEntry.restored_at.is_(None),
            TrashEntry.purged_at.is_(None),
        )
    )
    changed = 0
    for entry in entries:
        trash_path = _in_folder(paths, entry.trash_path, folder)
        original_path = _in_folder(paths, entry.original_path, folder)
        if trash_path is None or original_path is None:
            continue
        if (trash_path, original_path) != (entry.trash_path, entry.original_path):
            entry.trash_path, entry.original_path = trash_path, original_path
            changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class TrashedFile:
    """Where a trashed file is looked for, and where it goes back to."""

    candidates: list[Path]  # in a project's `.trash`, most likely first
    original: Path
    original_path: str  # `original`, relative to the root, as records keep it
    project_dir: Path  # the folder `original` belongs to


def locate(paths: LibraryPaths, entry: TrashEntry, folder: str | None) -> TrashedFile:
    """A trashed file of a project whose folder is now `folder` (None when unknown): looked for
    in that folder's `.trash`, then where the record says. Every path is confined to the library
    and refused (UnsafePath) unless it is a file directly in a project's `.trash`."""
    trash_paths = [entry.trash_path]
    original_path = entry.original_path
    if folder is not None:
        moved = _in_folder(paths, entry.trash_path, folder)
        trash_paths = [p for p in dict.fromkeys([moved, entry.trash_path]) if p is not None]
        original_path = _in_folder(paths, entry.original_path, folder) or original_path
    candidates = []
    for stored in trash_paths:
        path = paths.stored(stored)
        if path.parent.name != TRASH_DIR or path.parent.parent.parent != paths.projects_root:
            raise UnsafePath(f"not in a project's trash: {stored}")
        candidates.append(path)
    original = paths.stored(original_path)
    project_dir = next(
        (p for p in original.parents if p.parent == paths.projects_root and p != original), None
    )
    if project_dir is None:
        raise UnsafePath(f"not in a project folder: {original_path}")
    return TrashedFile(candidates, original, original_path, project_dir)
