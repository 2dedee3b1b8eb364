"""`folder_alignment`: a renamed project's folder follows its new name.

A folder already of the form `<safe name>` or `<safe name> (n)` is left alone, so two projects
named alike settle instead of trading ` (2)` and ` (3)` on every run. A collision or a
missing folder is skipped and reported, never forced.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from contactsheet.catalog.projects import follow_folder, free_folder
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Project
from contactsheet.library.names import name_key, safe_folder_name
from contactsheet.workers.context import JobContext


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
                skipped.append({"project": project.folder, "reason": "folder missing"})
                continue
            folder = free_folder(session, paths, runtime.tenant, project.name, project=project)
            target = paths.project_dir(folder)
            if target.exists() and name_key(folder) != project.folder_key:
                skipped.append({"project": project.folder, "reason": f"{folder} exists"})
                continue
            old = project.folder
            source.rename(target)
            follow_folder(session, paths, project, folder)
        context.publish(
            "folder_renamed", {"project_id": candidate.id, "old_folder": old, "folder": folder}
        )
        renamed.append({"project_id": candidate.id, "from": old, "to": folder})
    return {"renamed": renamed, "skipped": skipped}
