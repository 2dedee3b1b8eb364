"""Conflict analysis before an upload: what each name would do, without writing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactsheet.catalog.photos import same_type_files, split_name
from contactsheet.db.chunks import chunked
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.errors import ContactSheetError
from contactsheet.ingest.staging import check_name
from contactsheet.library.names import name_key


@dataclass
class ConflictReport:
    new: list[str] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    completions: list[dict[str, Any]] = field(default_factory=list)
    cross_project: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _photos_by_key(session: Session, project: Project, keys: list[str]) -> tuple[dict, dict]:
    here: dict[str, Photo] = {}
    elsewhere: dict[str, tuple[Photo, str]] = {}
    for chunk in chunked(keys):
        rows = session.execute(
            select(Photo, Project.folder)
            .join(Project, Project.id == Photo.project_id)
            .where(
                Photo.tenant == project.tenant,
                Photo.basename_key.in_(chunk),
                Project.status == ProjectStatus.ACTIVE,
            )
        )
        for photo, folder in rows:
            if photo.project_id == project.id:
                here[photo.basename_key] = photo
            else:
                elsewhere.setdefault(photo.basename_key, (photo, folder))
    return here, elsewhere


def analyze(session: Session, project: Project, names: list[str]) -> ConflictReport:
    report = ConflictReport()
    checked: list[tuple[str, str, str]] = []
    for original in names:
        try:
            safe, _kind = check_name(original)
        except ContactSheetError as exc:
            report.rejected.append(
                {"name": original, "error": {"code": exc.code, "message": exc.message}}
            )
            continue
        checked.append((original, safe, name_key(split_name(safe)[0])))
    here, elsewhere = _photos_by_key(session, project, sorted({key for _, _, key in checked}))
    seen_in_request: dict[str, list[str]] = {}
    for original, safe, key in checked:
        photo = here.get(key)
        if photo is not None and (existing := same_type_files(photo, safe)):
            report.duplicates.append(
                {"name": original, "existing": existing[0], "photo_id": photo.id}
            )
        elif photo is not None:
            report.completions.append(
                {"name": original, "photo_id": photo.id, "existing": list(photo.filenames)}
            )
        elif key in elsewhere:
            other, folder = elsewhere[key]
            report.cross_project.append(
                {
                    "name": original,
                    "project": folder,
                    "photo_id": other.id,
                    "existing": list(other.filenames),
                }
            )
        elif key in seen_in_request:
            report.completions.append(
                {"name": original, "photo_id": None, "existing": seen_in_request[key]}
            )
        else:
            report.new.append(original)
        seen_in_request.setdefault(key, []).append(safe)
    return report
