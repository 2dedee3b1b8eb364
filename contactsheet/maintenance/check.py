"""`contactsheet check` and `GET /api/check`: every disagreement between the catalog and the disk,
read without changing anything (docs/maintenance.md).

Each question is asked by the rule the step that fixes it uses (the photo and manifest rules of
`manifest_check`, the disk rules of `disk.py`, the derivative standing of the cache, the folder
rule of `folder_alignment`, the leftovers of `leftover_cleanup`), so what `check` calls an error
is exactly what a maintenance run would fix or record as a finding, and after that run a second
`check` is clean. Files the app does not manage are reported as information, never as errors.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from contactsheet.catalog.findings import FindingView, open_findings
from contactsheet.catalog.photos import file_kind, split_name
from contactsheet.catalog.projects import active_projects, project_id_of
from contactsheet.db.chunks import chunked
from contactsheet.db.enums import ArchiveReason, DerivativeStatus, ProjectStatus
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.derivatives.cache import Standing, standing
from contactsheet.derivatives.on_disk import ProjectFolders, Records, records_of
from contactsheet.derivatives.params import params_key, specs
from contactsheet.errors import UnsafePath
from contactsheet.imaging.engine import pick_source
from contactsheet.imaging.fingerprint import fingerprint
from contactsheet.ingest.indexing import candidate_files
from contactsheet.library.manifest import ManifestError, read_manifest
from contactsheet.library.names import name_key
from contactsheet.library.paths import MANIFEST_NAME
from contactsheet.maintenance.disk import FolderListing, folder_state, image_files
from contactsheet.maintenance.folder_alignment import settled
from contactsheet.maintenance.leftovers import project_leftovers
from contactsheet.maintenance.manifest_check import (
    PhotoRow,
    manifest_drift,
    photo_drift,
    photo_rows,
    untrusted,
)
from contactsheet.runtime import Runtime

Severity = Literal["error", "info"]
# How many problems of one kind are listed in full; the rest are counted.
LISTED_PER_KIND = 200

DERIVATIVE_ERRORS = {
    Standing.FILE_GONE: (
        "derivative_missing",
        "recorded as made, but its file is absent or of another size",
    ),
    Standing.PARAMS_CHANGED: ("derivative_stale", "made with other settings than today's"),
    Standing.SOURCE_CHANGED: ("derivative_outdated", "made from another file than its source now"),
    Standing.FAILED_SOURCE_CHANGED: (
        "derivative_outdated",
        "failed before; its source changed since",
    ),
}


@dataclass(frozen=True)
class Problem:
    severity: Severity
    kind: str
    project: str | None
    subject: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "project": self.project,
            "subject": self.subject,
            "message": self.message,
        }


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    findings: list[FindingView] = field(default_factory=list)
    checked: dict[str, int] = field(
        default_factory=lambda: {"projects": 0, "photos": 0, "files": 0, "derivatives": 0}
    )
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error") + len(self.findings)

    @property
    def clean(self) -> bool:
        return self.errors == 0

    def counts(self) -> dict[str, int]:
        by_kind: dict[str, int] = {}
        for problem in self.problems:
            by_kind[problem.kind] = by_kind.get(problem.kind, 0) + 1
        return dict(sorted(by_kind.items()))

    def as_dict(self) -> dict[str, Any]:
        listed: dict[str, int] = {}
        shown = []
        for problem in self.problems:
            listed[problem.kind] = listed.get(problem.kind, 0) + 1
            if listed[problem.kind] <= LISTED_PER_KIND:
                shown.append(problem.as_dict())
        return {
            "clean": self.clean,
            "errors": self.errors,
            "infos": sum(1 for p in self.problems if p.severity == "info"),
            "checked": self.checked,
            "counts": self.counts(),
            "problems": shown,
            "findings": [f.as_dict() for f in self.findings],
            "seconds": round(self.seconds, 3),
        }


def check_library(runtime: Runtime, project_folder: str | None = None) -> CheckReport:
    """Compare the catalog with the disk, for every active project or the one in
    `project_folder` (ProjectNotFound when there is none). Reads only."""
    started = time.monotonic()
    report = CheckReport()
    project_id = (
        project_id_of(runtime.db, runtime.tenant, project_folder) if project_folder else None
    )
    projects = active_projects(runtime.db, runtime.tenant, project_id)
    for project in projects:
        report.checked["projects"] += 1
        report.problems += _check_project(runtime, project, report.checked)
    now = time.time()
    for folder, paths in project_leftovers(runtime, project_id, now).items():
        report.problems += [
            Problem(
                "error",
                "leftover",
                folder,
                p.name,
                "a temporary file of a write or upload that was interrupted more than a day ago",
            )
            for p in paths
        ]
    if project_id is None:
        report.problems += _unknown_folders(runtime)
    direct = {(p.kind, p.project) for p in report.problems}
    report.findings = [
        f
        for f in open_findings(runtime.db, runtime.tenant, project_id)
        if (f.kind, f.project) not in direct
    ]
    report.seconds = time.monotonic() - started
    return report


def findings_of(runtime: Runtime, project_folder: str | None = None) -> list[FindingView]:
    """The open findings, of the whole library or of one project (by its folder)."""
    project_id = (
        project_id_of(runtime.db, runtime.tenant, project_folder) if project_folder else None
    )
    return open_findings(runtime.db, runtime.tenant, project_id)


def _check_project(runtime: Runtime, project: Project, checked: dict[str, int]) -> list[Problem]:
    folder = project.folder
    directory = runtime.paths.project_dir(folder)
    state = folder_state(directory, project.id)
    with runtime.db.read() as session:
        rows = photo_rows(session, project.id)
    checked["photos"] += len(rows)
    problem = untrusted(state, project, rows)
    if state.listing is None and problem is None:
        since = (
            project.missing_since.isoformat(timespec="seconds") if project.missing_since else None
        )
        when = f" (marked missing since {since})" if since else ""
        return [
            Problem(
                "error", "project_missing", folder, folder, f"the project's folder is missing{when}"
            )
        ]
    if problem is not None or state.listing is None:
        kind = problem.kind if problem is not None else "folder_unreadable"
        message = problem.message if problem is not None else str(state.problem)
        return [Problem("error", kind, folder, folder, message)]
    listing = state.listing
    problems: list[Problem] = []
    checked["files"] += len(listing.files)
    if (drift := manifest_drift(state, project)) is not None:
        problems.append(
            Problem("error", "manifest_mismatch", folder, MANIFEST_NAME, f"the manifest is {drift}")
        )
    if not settled(project.folder, project.name):
        problems.append(
            Problem(
                "error",
                "folder_name_out_of_step",
                folder,
                folder,
                f"the folder does not follow the project's name {project.name!r}",
            )
        )
    for row in rows:
        problems += _photo_problems(folder, row, listing)
    problems += _files_without_photo(runtime, project, rows, directory)
    problems += _derivative_problems(runtime, project, rows, listing, checked)
    return problems


def _photo_problems(folder: str, row: PhotoRow, listing: FolderListing) -> list[Problem]:
    drift = photo_drift(row, listing)
    if drift is None:
        return []
    if drift.no_image_left:
        return [
            Problem(
                "error",
                "photo_without_files",
                folder,
                row.basename,
                "no image of this photo is on disk",
            )
        ]
    problems = [
        Problem(
            "error", "file_missing", folder, name, f"a file of {row.basename} that is not on disk"
        )
        for name in drift.gone
    ]
    if drift.flags_wrong:
        problems.append(
            Problem(
                "error",
                "availability_wrong",
                folder,
                row.basename,
                "its JPG/RAW/other flags disagree with its files",
            )
        )
    return problems


def _files_without_photo(
    runtime: Runtime, project: Project, rows: list[PhotoRow], directory: Path
) -> list[Problem]:
    known = {name for row in rows for name in row.filenames}
    new = [p for p in candidate_files(directory) if p.name not in known]
    # A sidecar joins a photo of its basename, indexed already or arriving beside it.
    basenames = {split_name(n)[0] for n in known} | {
        split_name(p.name)[0] for p in new if file_kind(p.name) not in (None, "sidecar")
    }
    if not new:
        return []
    with runtime.db.read() as session:
        recorded = set(
            session.scalars(
                select(PhotoFile.fingerprint)
                .join(Photo, Photo.id == PhotoFile.photo_id)
                .where(Photo.project_id == project.id, PhotoFile.fingerprint.is_not(None))
            )
        )
    problems = []
    for path in new:
        kind = file_kind(path.name)
        if kind is None:
            problems.append(
                Problem(
                    "info",
                    "unmanaged_file",
                    project.folder,
                    path.name,
                    "not a file the app manages; left in place",
                )
            )
        elif kind == "sidecar" and split_name(path.name)[0] not in basenames:
            problems.append(
                Problem(
                    "info",
                    "waiting_sidecar",
                    project.folder,
                    path.name,
                    "a sidecar whose photo is not here; left in place",
                )
            )
        elif _fingerprint(path) in recorded:
            problems.append(
                Problem(
                    "info",
                    "identical_copy",
                    project.folder,
                    path.name,
                    "the same content as a photo of the project; left in place, not indexed",
                )
            )
        else:
            problems.append(
                Problem(
                    "error",
                    "file_without_photo",
                    project.folder,
                    path.name,
                    "a file no photo lists (added by hand?)",
                )
            )
    return problems


def _fingerprint(path: Path) -> str | None:
    try:
        return fingerprint(path)
    except OSError:
        return None


def _derivative_problems(
    runtime: Runtime,
    project: Project,
    rows: list[PhotoRow],
    listing: FolderListing,
    checked: dict[str, int],
) -> list[Problem]:
    wanted = specs(runtime.settings.processing)
    keys = {kind: params_key(spec) for kind, spec in wanted.items()}
    folders = ProjectFolders(runtime.paths, wanted)
    records: Records = {}
    with runtime.db.read() as session:
        for chunk in chunked([row.id for row in rows]):
            records.update(records_of(session, chunk))
    problems = []
    for row in rows:
        present = [n for n in row.filenames if listing.has(n)]
        source = pick_source(image_files(present))
        if source is None:
            continue
        source_size = folders.source_size(project.folder, source)
        if source_size is None:
            continue
        for kind in wanted:
            checked["derivatives"] += 1
            record = records.get(row.id, {}).get(kind)
            size = folders.derivative_size(project.folder, row.basename, kind)
            state = standing(
                record,
                params_key=keys[kind],
                source_name=source,
                source_size=source_size,
                file_size=size,
            )
            subject = f"{row.basename} ({kind})"
            if state == Standing.NEVER_MADE:
                if size is not None:
                    problems.append(
                        Problem(
                            "error",
                            "derivative_unrecorded",
                            project.folder,
                            subject,
                            "its file exists, its record does not",
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            "info", "derivative_pending", project.folder, subject, "not made yet"
                        )
                    )
            elif state == Standing.FAILED:
                problems.append(
                    Problem(
                        "info",
                        "derivative_failed",
                        project.folder,
                        subject,
                        record.error
                        if record and record.error
                        else "the source could not be decoded",
                    )
                )
            elif state in DERIVATIVE_ERRORS:
                problem_kind, message = DERIVATIVE_ERRORS[state]
                if record is not None and record.status == DerivativeStatus.MISSING:
                    message = "recorded as missing; not made again yet"
                problems.append(Problem("error", problem_kind, project.folder, subject, message))
    return problems


def _unknown_folders(runtime: Runtime) -> list[Problem]:
    """Folders of the library no active project owns: hand-made ones discovery will adopt."""
    root = runtime.paths.projects_root
    if not root.is_dir():
        return []
    with runtime.db.read() as session:
        projects = list(session.scalars(select(Project).where(Project.tenant == runtime.tenant)))
    active = {p.folder for p in projects if p.status == ProjectStatus.ACTIVE}
    active_keys = {p.folder_key for p in projects if p.status == ProjectStatus.ACTIVE}
    by_id = {p.id: p for p in projects}
    problems = []
    for directory in _folders(root):
        if directory.name in active:
            continue
        if name_key(directory.name) in active_keys:
            problems.append(
                Problem(
                    "info",
                    "unusable_folder",
                    None,
                    directory.name,
                    "not adopted: its name differs only in case from a project's folder",
                )
            )
            continue
        try:
            manifest = read_manifest(runtime.paths.manifest_path(directory.name))
        except (ManifestError, UnsafePath) as exc:
            problems.append(
                Problem(
                    "info",
                    "unusable_folder",
                    None,
                    directory.name,
                    f"not adopted as a project: {exc}",
                )
            )
            continue
        known = by_id.get(manifest.id) if manifest is not None else None
        if known is not None and known.archived_reason == ArchiveReason.FOLDER_LOST:
            problems.append(
                Problem(
                    "error",
                    "lost_project_back",
                    None,
                    directory.name,
                    f"the folder of {known.name!r}, archived while it was missing; the next "
                    "maintenance run brings the project back",
                )
            )
            continue
        if known is not None and known.status == ProjectStatus.ARCHIVED:
            problems.append(
                Problem(
                    "info",
                    "deleted_project_folder",
                    None,
                    directory.name,
                    f"the folder of deleted project {known.name!r}; maintenance decides its fate",
                )
            )
            continue
        problems.append(
            Problem(
                "error",
                "folder_without_project",
                None,
                directory.name,
                "a folder no project owns (made by hand?)",
            )
        )
    return problems


def _folders(root: Path) -> Iterable[Path]:
    for directory in sorted(root.iterdir()):
        if directory.name.startswith(".") or directory.is_symlink() or not directory.is_dir():
            continue
        yield directory
