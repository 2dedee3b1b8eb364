"""Placement: staged files become photos. The rules every source (upload, tus, import) shares:

- same basename (ignoring case) in this project, other type: the file joins that photo;
- same basename and type in this project: skipped, or with `overwrite_in_project` the old file
  goes to `.trash` and the new one takes its place;
- the basename lives in another project: stored under `<basename>_duplicateN`, or with
  `move_conflicts_here` the other photo is moved here by an `image_move` task and the file joins it;
- no file is ever overwritten silently: names are claimed with a hard link, which fails if taken.

Rows, files and the `upload_postprocess` task are committed together; a file placed whose
transaction then fails is found by `folder_check` (the disk is the truth).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactsheet.catalog.metadata import apply_metadata
from contactsheet.catalog.photos import (
    add_file,
    free_duplicate_basename,
    new_photo,
    photo_elsewhere,
    photo_in_project,
    remove_file,
    same_type_files,
    split_name,
)
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.ingest.staging import StagedFile
from contactsheet.library.trash import trash_file
from contactsheet.logs import log_event
from contactsheet.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestOptions:
    overwrite_in_project: bool = False
    move_conflicts_here: bool = False


@dataclass
class FileResult:
    name: str
    status: str  # stored | skipped | rejected
    stored_as: str | None = None
    photo_id: int | None = None
    reason: str | None = None
    error: dict[str, str] | None = None
    conflict: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    task_id: int | None = None
    move_task_id: int | None = None

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def rejected(staged: StagedFile) -> FileResult:
    assert staged.error is not None
    return FileResult(
        name=staged.original_name,
        status="rejected",
        error={"code": staged.error.code, "message": staged.error.message},
    )


def claim_name(source: Path, target: Path) -> None:
    """Put `source` at `target` only if `target` does not exist (FileExistsError otherwise)."""
    try:
        os.link(source, target)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno not in {18, 1, 38, 95}:
            raise
        # Another filesystem, or one without hard links: copy beside the target, then link that.
        temp = target.with_name(f".upload-copy-{target.name}")
        shutil.copyfile(source, temp)
        try:
            os.link(temp, target)
        finally:
            temp.unlink(missing_ok=True)


class Placer:
    """Places one request's staged files in one transaction."""

    def __init__(
        self, runtime: Runtime, session: Session, project: Project, options: IngestOptions
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.project = project
        self.options = options
        self.folder = runtime.paths.project_dir(project.folder)
        self.touched: set[int] = set()
        self.to_move: set[int] = set()

    def place(self, staged: StagedFile) -> FileResult:
        if not staged.ok:
            return rejected(staged)
        basename, extension = split_name(staged.name)
        try:
            with self.session.begin_nested():
                return self._place(staged, basename, extension)
        except IntegrityError:
            # A concurrent request created this photo first; now it exists, so join it.
            with self.session.begin_nested():
                return self._place(staged, basename, extension)

    def _place(self, staged: StagedFile, basename: str, extension: str) -> FileResult:
        session, project = self.session, self.project
        conflict = None
        photo = photo_in_project(session, project.id, basename)
        if photo is not None:
            duplicates = same_type_files(photo, staged.name)
            if duplicates and not self.options.overwrite_in_project:
                return FileResult(
                    name=staged.original_name,
                    status="skipped",
                    photo_id=photo.id,
                    reason=f"duplicate: {duplicates[0]} is already in this project",
                )
            for old_name in duplicates:
                self._trash(photo, old_name)
        else:
            elsewhere = photo_elsewhere(session, project, basename)
            if elsewhere is not None:
                other, other_project = elsewhere
                conflict = {"project": other_project.folder, "photo_id": other.id}
                if self.options.move_conflicts_here:
                    self.to_move.add(other.id)
                else:
                    basename = free_duplicate_basename(session, project, self.folder, basename)
                    conflict["renamed_to"] = basename
            photo = new_photo(project, basename)
            session.add(photo)
            session.flush()
        target_name = f"{basename}{extension}"
        target = self.runtime.paths.child(self.folder, target_name)
        assert staged.temp_path is not None
        if target.exists() and self.options.overwrite_in_project:
            self._trash_loose(target)
        try:
            claim_name(staged.temp_path, target)
        except FileExistsError:
            return FileResult(
                name=staged.original_name,
                status="skipped",
                reason=f"a file named {target_name} is already in the folder",
            )
        add_file(photo, target_name, staged.size)
        if staged.metadata is not None:
            apply_metadata(photo, target_name, staged.metadata, staged.file_time)
        session.flush()
        self.touched.add(photo.id)
        return FileResult(
            name=staged.original_name,
            status="stored",
            stored_as=target_name,
            photo_id=photo.id,
            conflict=conflict,
        )

    def _trash(self, photo: Photo, filename: str) -> None:
        path = self.runtime.paths.child(self.folder, filename)
        size = path.stat().st_size if path.exists() else 0
        if path.exists():
            self._trash_loose(path)
        remove_file(photo, filename, size)

    def _trash_loose(self, path: Path) -> None:
        trash_file(
            self.session,
            self.runtime.paths,
            tenant=self.project.tenant,
            project_id=self.project.id,
            folder=self.project.folder,
            source=path,
            reason="overwritten_by_upload",
        )


def place_files(
    runtime: Runtime, project_id: int, staged_files: list[StagedFile], options: IngestOptions
) -> IngestReport:
    """Place staged files; queue `upload_postprocess` (and `image_move` when asked) with them."""
    report = IngestReport()
    try:
        with runtime.db.write() as session:
            project = session.get(Project, project_id)
            if project is None or project.status != ProjectStatus.ACTIVE:
                raise LookupError("the project was deleted during the upload")
            placer = Placer(runtime, session, project, options)
            report.files = [placer.place(staged) for staged in staged_files]
            if placer.touched:
                job = runtime.queue.start_task(
                    session,
                    "upload_postprocess",
                    project_id=project.id,
                    payload={"photo_ids": sorted(placer.touched)},
                )
                report.task_id = job.task_id
            if placer.to_move:
                move = runtime.queue.start_task(
                    session,
                    "image_move",
                    project_id=project.id,
                    payload={"photo_ids": sorted(placer.to_move), "dest_project_id": project.id},
                )
                report.move_task_id = move.task_id
    finally:
        for staged in staged_files:
            staged.discard()
    log_event(
        log,
        "files_ingested",
        project_id=project_id,
        stored=report.count("stored"),
        skipped=report.count("skipped"),
        rejected=report.count("rejected"),
    )
    return report
