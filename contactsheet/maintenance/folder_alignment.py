"""`folder_alignment`: a renamed project's folder follows its new name.

A folder already of the form `<safe name>` or `<safe name> (n)` is left alone, so two projects
named alike settle instead of trading ` (2)` and ` (3)` on every run. A collision or a
missing folder is skipped and reported, never forced.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from contactsheet.catalog.findings import Seen, sync_findings
from contactsheet.catalog.projects import follow_folder, free_folder
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Project
from contactsheet.library.names import name_key, safe_folder_name
from contactsheet.workers.context import JobContext

STEP = "folder_alignment"


def settled(folder: str, name: str) -> bool:
    base = safe_folder_name(name)
    return folder == base or re.fullmatch(re.escape(base) + r" \(\d+\)", folder) is not None


def folder_alignment(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    paths = runtime.paths
    query = select(Project).where(
        Project.tenant == runtime.tenant, Project.status == ProjectStatus.ACTIVE
    )
    if context.job.project_id is not None:
        query = query.where(Project.id == context.job.project_id)
    with runtime.db.read() as session:
        candidates = [p for p in session.scalars(query) if not settled(p.folder, p.name)]
    renamed, skipped = [], []
    for candidate in candidates:
        context.check_canceled()
        with runtime.db.write() as session:
            project = session.get_one(Project, candidate.id)
            if settled(project.folder, project.name):
                continue
            source = paths.project_dir(project.folder)
            if not source.is_dir():
                skipped.append(
                    {
                        "project": project.folder,
                        "project_id": project.id,
                        "reason": "folder missing",
                    }
                )
                continue
            folder = free_folder(session, paths, runtime.tenant, project.name, project=project)
            target = paths.project_dir(folder)
            if target.exists() and name_key(folder) != project.folder_key:
                skipped.append(
                    {
                        "project": project.folder,
                        "project_id": project.id,
                        "reason": f"{folder!r} exists",
                    }
                )
                continue
            old = project.folder
            try:
                source.rename(target)
            except OSError as exc:  # busy, read-only, a mount point: not forced
                reason = f"renaming it failed: {exc.strerror or exc}"
                skipped.append({"project": old, "project_id": project.id, "reason": reason})
                continue
            follow_folder(session, paths, project, folder)
        context.publish(
            "folder_renamed", {"project_id": candidate.id, "old_folder": old, "folder": folder}
        )
        renamed.append({"project_id": candidate.id, "from": old, "to": folder})
    seen = [
        Seen(
            "rename_blocked",
            s["project"],
            f"the folder {s['project']!r} should be renamed to match the project's name, but "
            f"{s['reason']}; once that is resolved, the next run renames it",
            s["project_id"],
        )
        for s in skipped
        if s["reason"] != "folder missing"
    ]
    with runtime.db.write() as session:
        sync = sync_findings(session, runtime.tenant, STEP, seen, project_id=context.job.project_id)
    return context.report(
        found={"out_of_step": len(candidates), "blocked": len(seen)},
        changed={"renamed": len(renamed)},
        renamed=renamed,
        skipped=[{k: v for k, v in s.items() if k != "project_id"} for s in skipped],
        **sync,
    )
