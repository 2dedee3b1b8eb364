"""`duplicate_resolution`: a basename held by photos of two projects is renamed in the newer
project (`DSC1` → `DSC1_duplicate1`), so every photo's name is one of a kind in the library.

Each photo is renamed whole and on its own: its files (sidecars included) and derivative files
get their new names as hard links first, then its records change in one transaction, and only
after that commit are the old names unlinked. A crash before the commit leaves the old names
and records (the next run finds its own links, the same files, and goes on); a crash after it
leaves a second name of the same file, never a photo without its files. A new name that something
else already has on disk is never taken: that photo stays as it is and becomes a finding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactsheet.catalog.findings import Seen, sync_findings
from contactsheet.catalog.photos import basenames_on_disk, file_kind, rename_file, split_name
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Derivative, Photo, Project
from contactsheet.errors import UnsafePath
from contactsheet.jobs.events import add_event
from contactsheet.library.names import duplicate_name, name_key
from contactsheet.library.paths import LibraryPaths
from contactsheet.workers.context import JobContext

STEP = "duplicate_resolution"


@dataclass(frozen=True)
class Holder:
    photo_id: int
    project_id: int
    folder: str
    basename: str


def _active(tenant: str):  # type: ignore[no-untyped-def]
    return (Project.tenant == tenant) & (Project.status == ProjectStatus.ACTIVE)


def shared_basenames(
    session: Session, tenant: str, project_id: int | None
) -> dict[str, list[Holder]]:
    """Basename keys held in more than one active project, each with its photos, oldest
    project first (that one keeps the name). With `project_id`, only keys that project holds."""
    keys = (
        select(Photo.basename_key)
        .join(Project, Project.id == Photo.project_id)
        .where(_active(tenant))
        .group_by(Photo.basename_key)
        .having(func.count(func.distinct(Photo.project_id)) > 1)
    )
    if project_id is not None:
        mine = select(Photo.basename_key).where(Photo.project_id == project_id)
        keys = keys.where(Photo.basename_key.in_(mine))
    rows = session.execute(
        select(Photo.basename_key, Photo.id, Photo.project_id, Project.folder, Photo.basename)
        .join(Project, Project.id == Photo.project_id)
        .where(_active(tenant), Photo.basename_key.in_(keys))
        .order_by(Photo.basename_key, Project.created_at, Project.id, Photo.id)
    )
    groups: dict[str, list[Holder]] = {}
    for key, photo_id, owner, folder, basename in rows:
        groups.setdefault(key, []).append(Holder(photo_id, owner, folder, basename))
    return groups


def duplicate_resolution(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    scope = context.job.project_id
    with runtime.db.read() as session:
        groups = shared_basenames(session, runtime.tenant, scope)
    found = {"shared_basenames": len(groups), "photos_to_rename": 0}
    changed = {"photos_renamed": 0, "files_renamed": 0}
    renamed: list[dict[str, Any]] = []
    seen: list[Seen] = []
    for holders in groups.values():
        keeper = holders[0]
        for holder in holders[1:]:
            if holder.project_id == keeper.project_id:
                continue  # one project holds a basename once (a unique index): not reachable
            if scope is not None and holder.project_id != scope:
                continue
            context.check_canceled()
            found["photos_to_rename"] += 1
            try:
                outcome = _rename_photo(context, holder)
            except (OSError, UnsafePath) as exc:
                outcome = f"cannot rename its files: {exc}"
            if isinstance(outcome, str):
                seen.append(
                    Seen(
                        "rename_blocked",
                        f"{holder.folder}/{holder.basename}",
                        f"{holder.basename} is also a photo of {keeper.folder!r}, and it could "
                        f"not be renamed: {outcome}",
                        holder.project_id,
                    )
                )
                continue
            changed["photos_renamed"] += 1
            changed["files_renamed"] += outcome["files"]
            renamed.append(outcome)
    with runtime.db.write() as session:
        sync = sync_findings(session, runtime.tenant, STEP, seen, project_id=scope)
    return context.report(found, changed, renamed=renamed[:100], **sync)


def _renames(
    paths: LibraryPaths, holder: Holder, filenames: list[str], new: str
) -> list[tuple[Path, Path]]:
    """(old, new) of every file of the photo on disk: its own and its derivatives."""
    directory = paths.project_dir(holder.folder)
    # Its sidecars go with it, also one put beside it that is not indexed yet.
    beside = [
        entry.name
        for entry in directory.iterdir()
        if file_kind(entry.name) == "sidecar"
        and name_key(split_name(entry.name)[0]) == name_key(holder.basename)
        and entry.name not in filenames
    ]
    pairs = []
    for name in [*filenames, *beside]:
        old = directory / name
        if old.is_file() and not old.is_symlink():
            pairs.append((old, directory / f"{new}{split_name(name)[1]}"))
    for _kind, old in paths.derivative_files(holder.folder, holder.basename):
        pairs.append((old, old.with_name(f"{new}{old.suffix}")))
    return pairs


def _link_all(pairs: list[tuple[Path, Path]]) -> list[Path] | str:
    """Hard-link every new name; the links made (to undo), or why it could not be done."""
    made: list[Path] = []
    for old, new in pairs:
        try:
            os.link(old, new)
            made.append(new)
        except FileExistsError:
            if old.samefile(new):
                continue  # our own link from a run that stopped before its commit
            for path in made:
                path.unlink(missing_ok=True)
            return f"{new.name} exists already"
    return made


def _rename_photo(context: JobContext, holder: Holder) -> dict[str, Any] | str:
    runtime = context.runtime
    paths = runtime.paths
    directory = paths.project_dir(holder.folder)
    if not directory.is_dir():
        return "its project folder is missing"
    with runtime.db.read() as session:
        photo = session.get(Photo, holder.photo_id)
        if photo is None or photo.basename != holder.basename:
            return {"photo_id": holder.photo_id, "files": 0, "skipped": "changed meanwhile"}
        filenames = list(photo.filenames)
        on_disk = basenames_on_disk(directory)
        taken = set(
            session.scalars(
                select(Photo.basename_key)
                .join(Project, Project.id == Photo.project_id)
                .where(
                    _active(runtime.tenant),
                    Photo.basename_key.like(_prefix_pattern(photo.basename_key), escape="\\"),
                )
            )
        )
    unavailable = taken | on_disk
    new = duplicate_name(holder.basename, lambda c: name_key(c) not in unavailable)
    pairs = _renames(paths, holder, filenames, new)
    made = _link_all(pairs)
    if isinstance(made, str):
        return made
    try:
        with runtime.db.write() as session:
            photo = session.get_one(Photo, holder.photo_id)
            if photo.basename != holder.basename or sorted(photo.filenames) != sorted(filenames):
                raise _Changed
            for name in filenames:
                rename_file(photo, name, f"{new}{split_name(name)[1]}")
            photo.basename, photo.basename_key = new, name_key(new)
            for record in session.scalars(
                select(Derivative).where(Derivative.photo_id == photo.id)
            ):
                if record.source_name in filenames:
                    record.source_name = f"{new}{split_name(record.source_name)[1]}"
            add_event(
                session,
                "jobs",
                "photo_renamed",
                {
                    "photo_id": photo.id,
                    "project_id": holder.project_id,
                    "old_basename": holder.basename,
                    "basename": new,
                },
            )
    except BaseException as exc:
        for path in made:
            path.unlink(missing_ok=True)
        if isinstance(exc, _Changed):
            return {"photo_id": holder.photo_id, "files": 0, "skipped": "changed meanwhile"}
        raise
    for old, _new in pairs:
        old.unlink(missing_ok=True)
    return {
        "photo_id": holder.photo_id,
        "project": holder.folder,
        "from": holder.basename,
        "to": new,
        "files": len(pairs),
    }


class _Changed(Exception):
    """The photo changed between the look and the rename: leave it to the next run."""


def _prefix_pattern(key: str) -> str:
    """A LIKE pattern for `<key>_duplicate…`, the name matched literally (never a pattern)."""
    literal = f"{key}_duplicate".replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{literal}%"
