"""`manifest_check`: each photo's files and availability flags agree with the folder, and the
folder's `.project.yaml` names this project.

A file a photo lists that the folder no longer holds leaves the photo's record (its flags follow;
the keep flags of the formats still there are the user's and stay). A photo with no image left is
not touched here: `manifest_cleaning` decides about it. Nothing is changed in a folder the disk
rules do not let us believe (contactsheet/maintenance/disk.py): a manifest naming another project,
a folder that lost every file at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.findings import Seen, sync_findings
from contactsheet.catalog.photos import file_kind, file_record, refresh_availability, remove_file
from contactsheet.catalog.projects import active_projects, manifest_of, rewrite_manifest
from contactsheet.db.chunks import chunked
from contactsheet.db.tables import Photo, Project
from contactsheet.jobs.events import add_event
from contactsheet.library.paths import MANIFEST_NAME
from contactsheet.maintenance.disk import (
    FolderListing,
    FolderState,
    folder_state,
    image_files,
    nothing_known_left,
)
from contactsheet.workers.context import JobContext

STEP = "manifest_check"
CHUNK = 500


@dataclass(frozen=True)
class PhotoRow:
    id: int
    basename: str
    filenames: list[str]
    flags: tuple[bool, bool, bool]  # jpg, raw, other available


@dataclass(frozen=True)
class PhotoDrift:
    """How a photo's record disagrees with its folder."""

    photo_id: int
    basename: str
    gone: tuple[str, ...]  # files the record lists that the folder does not hold
    flags_wrong: bool  # the availability flags disagree with the files that are there
    no_image_left: bool  # every image of it is gone: manifest_cleaning's to decide

    @property
    def fixable(self) -> bool:
        return not self.no_image_left


def photo_rows(session: Session, project_id: int) -> list[PhotoRow]:
    query = select(
        Photo.id,
        Photo.basename,
        Photo.filenames,
        Photo.jpg_available,
        Photo.raw_available,
        Photo.other_available,
    ).where(Photo.project_id == project_id)
    return [
        PhotoRow(pid, basename, list(names or []), (bool(j), bool(r), bool(o)))
        for pid, basename, names, j, r, o in session.execute(query.order_by(Photo.id))
    ]


def availability(names: list[str]) -> tuple[bool, bool, bool]:
    kinds = {file_kind(n) for n in names}
    return "jpg" in kinds, "raw" in kinds, "other" in kinds


def photo_drift(row: PhotoRow, listing: FolderListing) -> PhotoDrift | None:
    present = [n for n in row.filenames if listing.has(n)]
    gone = tuple(n for n in row.filenames if not listing.has(n))
    no_image_left = not image_files(present)
    flags_wrong = not no_image_left and row.flags != availability(present)
    if not gone and not flags_wrong:
        return None
    return PhotoDrift(row.id, row.basename, gone, flags_wrong, no_image_left)


def manifest_drift(state: FolderState, project: Project) -> str | None:
    """What is wrong with a trusted folder's manifest: "absent", "unreadable", "out of date"."""
    if state.manifest_error is not None:
        return "unreadable"
    if state.manifest is None:
        return "absent"
    expected = manifest_of(project)
    actual = state.manifest
    if (actual.name, actual.folder, actual.tenant) != (
        expected.name,
        expected.folder,
        expected.tenant,
    ):
        return "out of date"
    return None


def untrusted(state: FolderState, project: Project, rows: list[PhotoRow]) -> Seen | None:
    """Why the folder must not be used to change records now (None when it may be)."""
    if state.listing is None:
        if state.problem == "the folder is missing":
            return None  # orphaned_project_cleanup's to say and to decide
        return Seen("folder_unreadable", project.folder, str(state.problem), project.id)
    if state.problem is not None:
        return Seen(
            "foreign_manifest",
            project.folder,
            f"{state.problem}; nothing in the folder is changed until that is resolved",
            project.id,
        )
    if nothing_known_left(state.listing, [r.filenames for r in rows]):
        return Seen(
            "folder_emptied",
            project.folder,
            f"none of the {len(rows)} photos' files is in the folder any more (an unmounted "
            "disk, or a folder replaced?); nothing is removed while that lasts",
            project.id,
        )
    return None


def manifest_check(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    scope = context.job.project_id
    found = {
        "projects": 0,
        "photos": 0,
        "files_gone": 0,
        "flags_wrong": 0,
        "manifests_wrong": 0,
        "folders_skipped": 0,
    }
    changed = {"photos_fixed": 0, "manifests_written": 0}
    seen: list[Seen] = []
    for project in active_projects(runtime.db, runtime.tenant, scope):
        context.check_canceled()
        found["projects"] += 1
        state = folder_state(runtime.paths.project_dir(project.folder), project.id)
        with runtime.db.read() as session:
            rows = photo_rows(session, project.id)
        found["photos"] += len(rows)
        problem = untrusted(state, project, rows)
        if problem is not None or state.listing is None:
            found["folders_skipped"] += 1
            seen += [problem] if problem is not None else []
            continue
        if manifest_drift(state, project) is not None:
            found["manifests_wrong"] += 1
            try:
                with runtime.db.write() as session:
                    rewrite_manifest(session, runtime.paths, session.get_one(Project, project.id))
                changed["manifests_written"] += 1
            except OSError as exc:
                seen.append(
                    Seen(
                        "manifest_unwritable",
                        project.folder,
                        f"{MANIFEST_NAME} cannot be written: {exc.strerror or exc}",
                        project.id,
                    )
                )
        drifts = [d for row in rows if (d := photo_drift(row, state.listing)) and d.fixable]
        found["files_gone"] += sum(len(d.gone) for d in drifts)
        found["flags_wrong"] += sum(1 for d in drifts if d.flags_wrong)
        for chunk in chunked(drifts, CHUNK):
            context.check_canceled()
            changed["photos_fixed"] += _fix(context, project, chunk)
    with runtime.db.write() as session:
        sync = sync_findings(session, runtime.tenant, STEP, seen, project_id=scope)
    return context.report(found, changed, **sync)


def _fix(context: JobContext, project: Project, drifts: list[PhotoDrift]) -> int:
    """Drop the gone files from their photos' records, each looked at again on disk inside the
    transaction (an upload may have placed it since the folder was read)."""
    directory = context.runtime.paths.project_dir(project.folder)
    fixed = 0
    with context.runtime.db.write() as session:
        for drift in drifts:
            photo = session.get(Photo, drift.photo_id)
            if photo is None:
                continue
            gone = [n for n in photo.filenames if not _is_file(directory / n)]
            present = [n for n in photo.filenames if n not in gone]
            if not image_files(present):
                continue  # nothing left after all: manifest_cleaning's
            before = (photo.jpg_available, photo.raw_available, photo.other_available)
            for name in gone:
                record = file_record(photo, name)
                remove_file(photo, name, record.size or 0 if record is not None else 0)
            # The one rule of availability and keep flags (a format that just became available
            # starts kept; one that is gone cannot be kept); no other decision is touched.
            refresh_availability(photo)
            if gone or before != availability(present):
                add_event(
                    session,
                    "jobs",
                    "photo_files_changed",
                    {"photo_id": photo.id, "project_id": project.id, "gone": gone},
                )
                fixed += 1
    return fixed


def _is_file(path: Any) -> bool:
    return bool(path.is_file() and not path.is_symlink())
