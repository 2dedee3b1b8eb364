"""`manifest_cleaning`: the records of photos with no image left on disk are deleted, but only
from a folder that is present, readable, carries this project's manifest and still holds some of
its files (contactsheet/maintenance/disk.py): a renamed, moved or unmounted folder never wipes
rows, tags or decisions. The deleted photos' own thumbnails and previews go with them; a sidecar
left behind stays on disk, the user's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from contactsheet.catalog.projects import active_projects
from contactsheet.db.chunks import chunked
from contactsheet.db.tables import Photo, Project
from contactsheet.jobs.events import add_event
from contactsheet.maintenance.disk import folder_state, image_files
from contactsheet.maintenance.manifest_check import photo_drift, photo_rows, untrusted
from contactsheet.workers.context import JobContext

CHUNK = 500


def manifest_cleaning(context: JobContext) -> dict[str, Any]:
    runtime = context.runtime
    found = {"projects": 0, "photos_without_files": 0, "folders_skipped": 0}
    changed = {"photos_deleted": 0, "derivative_files_deleted": 0}
    for project in active_projects(runtime.db, runtime.tenant, context.job.project_id):
        context.check_canceled()
        found["projects"] += 1
        state = folder_state(runtime.paths.project_dir(project.folder), project.id)
        with runtime.db.read() as session:
            rows = photo_rows(session, project.id)
        if (
            state.listing is None
            or state.manifest is None
            or untrusted(state, project, rows) is not None
        ):
            found["folders_skipped"] += 1  # manifest_check says why, as a finding
            continue
        empty = [
            row.id
            for row in rows
            if (drift := photo_drift(row, state.listing)) is not None and drift.no_image_left
        ]
        found["photos_without_files"] += len(empty)
        for chunk in chunked(empty, CHUNK):
            context.check_canceled()
            photos, files = _delete(context, project, chunk)
            changed["photos_deleted"] += photos
            changed["derivative_files_deleted"] += files
    return context.report(found, changed)


def _delete(context: JobContext, project: Project, photo_ids: list[int]) -> tuple[int, int]:
    """Delete those photos that, looked at again inside the transaction, still have no image."""
    paths = context.runtime.paths
    directory = paths.project_dir(project.folder)
    gone: list[tuple[int, str]] = []
    with context.runtime.db.write() as session:
        for photo in session.scalars(select(Photo).where(Photo.id.in_(photo_ids))):
            if any((directory / n).is_file() for n in image_files(list(photo.filenames))):
                continue  # a file arrived or came back since the folder was read
            gone.append((photo.id, photo.basename))
        if gone:
            session.execute(delete(Photo).where(Photo.id.in_([pid for pid, _ in gone])))
            for photo_id, _ in gone:
                add_event(
                    session,
                    "jobs",
                    "item_removed",
                    {"photo_id": photo_id, "project_id": project.id},
                )
    files = 0
    for _photo_id, basename in gone:
        for _kind, path in paths.derivative_files(project.folder, basename):
            path.unlink(missing_ok=True)
            files += 1
    return len(gone), files
