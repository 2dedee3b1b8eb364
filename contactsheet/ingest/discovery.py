"""The steps `folder_check` (files added by hand to known projects) and `folder_discovery`
(project folders added by hand to the library)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contactsheet.catalog.project_delete import archived_folder_fate
from contactsheet.catalog.projects import (
    active_projects,
    add_project,
    follow_folder,
    free_name,
    revive_project,
    rewrite_manifest,
)
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Project
from contactsheet.errors import ContactSheetError, UnsafePath
from contactsheet.ingest.indexing import CHUNK, index_files, new_files, scan
from contactsheet.library.manifest import Manifest, ManifestError, read_manifest
from contactsheet.library.names import clean_display_name, name_key
from contactsheet.library.paths import PREVIEW_DIR, THUMB_DIR, TRASH_DIR
from contactsheet.runtime import Runtime
from contactsheet.workers.context import JobContext

REPORT_NAMES = 100


def index_project(context: JobContext, project: Project) -> dict[str, Any]:
    """Index the project's new files in chunks and queue derivatives for the photos touched."""
    runtime = context.runtime
    with runtime.db.read() as session:
        paths_to_scan = new_files(session, runtime.paths, project)
    photo_ids: set[int] = set()
    indexed = unmanaged = 0
    names: list[str] = []
    waiting: list[str] = []
    outcomes: dict[str, list[dict[str, Any]]] = {
        "identical": [],
        "identical_elsewhere": [],
        "renamed": [],
    }
    for start in range(0, len(paths_to_scan), CHUNK):
        context.check_canceled()
        found = scan(paths_to_scan[start : start + CHUNK])
        with runtime.db.write() as session:
            report = index_files(session, runtime.paths, project, found)
        photo_ids |= report.photo_ids
        indexed += len(report.indexed)
        unmanaged += len(report.unmanaged)
        names += report.unmanaged[: REPORT_NAMES - len(names)]
        waiting += report.waiting_sidecars
        for key, entries in outcomes.items():
            entries += getattr(report, key)[: REPORT_NAMES - len(entries)]
    if photo_ids:
        with runtime.db.write() as session:
            runtime.queue.start_task(
                session,
                "generate_derivatives",
                project_id=project.id,
                payload={"photo_ids": sorted(photo_ids), "force": False},
                origin="system",
                dedup=True,
            )
    return {
        "indexed": indexed,
        "photos": len(photo_ids),
        "unmanaged": unmanaged,
        "unmanaged_names": names,
        "waiting_sidecars": waiting,
        **outcomes,
    }


def folder_check(context: JobContext) -> dict[str, Any]:
    totals: dict[str, Any] = {"projects": 0, "indexed": 0, "photos": 0, "unmanaged": 0}
    unmanaged: dict[str, list[str]] = {}
    outcomes: dict[str, dict[str, list[dict[str, Any]]]] = {
        "identical": {},
        "identical_elsewhere": {},
        "renamed": {},
    }
    missing = []
    for project in active_projects(
        context.runtime.db, context.runtime.tenant, context.job.project_id
    ):
        context.check_canceled()
        if not context.runtime.paths.project_dir(project.folder).is_dir():
            missing.append(project.folder)  # an unplugged disk: maintenance decides, not us
            continue
        result = index_project(context, project)
        totals["projects"] += 1
        for key in ("indexed", "photos", "unmanaged"):
            totals[key] += result[key]
        if result["unmanaged_names"]:
            unmanaged[project.folder] = result["unmanaged_names"]
        for key, by_project in outcomes.items():
            if result[key]:
                by_project[project.folder] = result[key]
    renamed = sum(len(v) for v in outcomes["renamed"].values())
    return context.report(
        found={
            "projects": totals["projects"],
            "new_files": totals["indexed"] + sum(len(v) for v in outcomes["identical"].values()),
            "unmanaged": totals["unmanaged"],
            "missing_folders": len(missing),
        },
        changed={"indexed": totals["indexed"], "renamed": renamed},
        **totals,
        unmanaged_files=unmanaged,
        missing_folders=missing,
        **outcomes,
    )


def _adopt(runtime: Runtime, folder: str, manifest: Manifest | None) -> Project | None:
    """Create a project for a hand-made folder (its folder name is kept as it is)."""
    try:
        wanted = clean_display_name(manifest.name if manifest else folder)
    except ContactSheetError:
        wanted = "Imported folder"
    directory = runtime.paths.project_dir(folder)
    with runtime.db.write() as session:
        name = free_name(session, runtime.tenant, wanted)  # under the name lock from here on
        active = select(Project.folder_key).where(
            Project.tenant == runtime.tenant, Project.status == ProjectStatus.ACTIVE
        )
        if name_key(folder) in set(session.scalars(active)):
            return None  # differs only in case from a project's folder: do not guess
        project = add_project(session, runtime.tenant, name, folder)
        for sub in (THUMB_DIR, PREVIEW_DIR, TRASH_DIR):
            (directory / sub).mkdir(exist_ok=True)
        # The folder's old manifest (another install's id) is replaced by ours; its name is kept.
        rewrite_manifest(session, runtime.paths, project)
    return project


def _follow(runtime: Runtime, project_id: int, folder: str) -> Project:
    """A known project's folder was renamed by hand: rows follow the folder."""
    with runtime.db.write() as session:
        project = session.get_one(Project, project_id)
        follow_folder(session, runtime.paths, project, folder)
    return project


def _revive(runtime: Runtime, project_id: int, folder: str) -> Project | None:
    """The folder of a project archived as lost is back: the project comes back with it, unless
    the folder's name differs only in case from an active project's (then nothing is guessed)."""
    with runtime.db.write() as session:
        project = session.get_one(Project, project_id)
        active = select(Project.folder_key).where(
            Project.tenant == runtime.tenant, Project.status == ProjectStatus.ACTIVE
        )
        if name_key(folder) in set(session.scalars(active)):
            return None
        revive_project(session, runtime.paths, project, folder)
    return project


def folder_discovery(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    root = runtime.paths.projects_root
    with runtime.db.read() as session:
        projects = {p.id: p for p in session.scalars(select(Project))}
    active_folders = {p.folder for p in projects.values() if p.status == ProjectStatus.ACTIVE}
    adopted, followed, revived, skipped = [], [], [], []
    indexed = 0
    for directory in sorted(root.iterdir()) if root.is_dir() else []:
        context.check_canceled()
        folder = directory.name
        if folder.startswith(".") or not directory.is_dir() or directory.is_symlink():
            continue
        if folder in active_folders:
            continue
        try:
            manifest = read_manifest(runtime.paths.manifest_path(folder))
        except ManifestError as exc:
            skipped.append({"folder": folder, "reason": str(exc)})
            continue
        except UnsafePath:  # e.g. a backslash in the name: skip it, not the whole library
            skipped.append({"folder": folder, "reason": "the folder name cannot be used"})
            continue
        known = projects.get(manifest.id) if manifest else None
        if known is not None and known.status == ProjectStatus.ARCHIVED:
            with runtime.db.read() as session:
                fate = archived_folder_fate(session, known, folder)
            if fate == "revive":
                project_back = _revive(runtime, known.id, folder)
                if project_back is None:
                    skipped.append({"folder": folder, "reason": "name differs only in case"})
                    continue
                revived.append({"folder": folder, "project_id": known.id})
                indexed += index_project(context, project_back)["indexed"]
                continue
            if fate != "new":
                skipped.append(
                    {"folder": folder, "reason": f"folder of a deleted project ({fate})"}
                )
                continue
            known = None  # a copy of a deleted project (a restored backup): a new project
        if known is not None and not runtime.paths.project_dir(known.folder).exists():
            project = _follow(runtime, known.id, folder)
            followed.append({"folder": folder, "project_id": project.id, "was": known.folder})
        else:
            adopted_project = _adopt(runtime, folder, manifest)
            if adopted_project is None:
                skipped.append({"folder": folder, "reason": "name differs only in case"})
                continue
            project = adopted_project
            adopted.append({"folder": folder, "project_id": project.id, "name": project.name})
        indexed += index_project(context, project)["indexed"]
    return context.report(
        found={"new_folders": len(adopted) + len(followed) + len(revived) + len(skipped)},
        changed={
            "adopted": len(adopted),
            "followed": len(followed),
            "revived": len(revived),
            "indexed": indexed,
        },
        adopted=adopted,
        followed=followed,
        revived=revived,
        skipped=skipped,
        indexed=indexed,
    )
