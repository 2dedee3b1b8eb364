"""Placement: staged files become photos, by the rules of docs/ingest.md that every source
(upload, tus, import) shares, as `contactsheet.ingest.classify` classes each file:

- identical content in this project, or (unless `import_anyway`) in another: skipped, with
  where its twin is;
- another format of a photo (same source folder of the batch, or a photo that lacks it): joins;
- its name taken by a different file: both kept, the newcomer under `<basename>_N` (its
  pair from the same source folder follows it there), or, as asked, skipped, or the old file
  to `.trash` and the new one in its place in the same photo (its decisions kept);
- `move_conflicts_here`: a photo of the same basename in another project is moved here by an
  `image_move` task and the file joins it;
- no file is ever overwritten silently: names are claimed with a hard link, which fails if taken,
  and a photo row is only kept with the file it was made for (a name taken on disk in the
  instant before the link is skipped and leaves no row behind).

Rows, files and the `upload_postprocess` task (or their place in a waiting one) are committed
together; a file placed whose transaction then fails is found by `folder_check` (the disk is the
truth), which runs once a project's uploads pause (`upload_reconcile`). The project is looked
up again when its files are placed: deleted meanwhile, the request answers `project_not_found`;
its folder renamed or removed by hand (not yet followed by discovery), `project_folder_missing`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactsheet.catalog.metadata import apply_metadata
from contactsheet.catalog.photos import (
    FileFacts,
    add_file,
    new_photo,
    photo_elsewhere,
    photo_in_project,
    remove_file,
    split_name,
)
from contactsheet.catalog.projects import hold_project
from contactsheet.db.enums import FileOutcome, ProjectStatus, TrashReason
from contactsheet.db.tables import Photo, PhotoFile, Project
from contactsheet.errors import (
    ProjectNotFound,
)
from contactsheet.ingest.batches import new_batch_id, source_key
from contactsheet.ingest.classify import (
    IDENTICAL,
    IDENTICAL_ELSEWHERE,
    NAME_TAKEN,
    NEW,
    Classifier,
    Incoming,
    Verdict,
)
from contactsheet.ingest.outcomes import (
    OVERWRITE,
    SKIP,
    FileResult,
    IngestOptions,
    IngestReport,
    class_of,
    rejected,
    rejection,
)
from contactsheet.ingest.project_folder import beside, checked_folder, claim_name, folder_missing
from contactsheet.ingest.staging import StagedFile, disk_full, is_disk_full
from contactsheet.library.trash import trash_file
from contactsheet.logs import log_event
from contactsheet.runtime import Runtime

log = logging.getLogger(__name__)


class _NotPlaced(Exception):
    """Leaves a file's savepoint, so nothing written for it (a new photo row) is kept."""

    def __init__(self, result: FileResult) -> None:
        super().__init__(result.status)
        self.result = result


class Placer:
    """Places one request's staged files in one transaction."""

    def __init__(
        self,
        runtime: Runtime,
        session: Session,
        project: Project,
        options: IngestOptions,
        batch: str | None,
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.project = project
        self.options = options
        self.batch = batch
        self.folder = runtime.paths.project_dir(project.folder)
        self.classifier = Classifier(
            session, runtime.paths, project, import_anyway=options.import_anyway
        )
        self.touched: set[int] = set()
        self.to_move: set[int] = set()

    def place(self, staged: StagedFile) -> FileResult:
        if not staged.ok:
            return rejected(staged)
        try:
            try:
                with self.session.begin_nested():
                    return self._place(staged)
            except IntegrityError:
                # A concurrent request created this photo first; now it exists, so join it.
                with self.session.begin_nested():
                    return self._place(staged)
        except _NotPlaced as not_placed:
            return not_placed.result
        finally:
            self.classifier.forget_disk()

    def _place(self, staged: StagedFile) -> FileResult:
        session, project = self.session, self.project
        item = Incoming(
            name=staged.name,
            size=staged.size,
            fingerprint=staged.fingerprint,
            batch=self.batch,
            source_key=source_key(staged.source, staged.name),
        )
        verdict = self.classifier.classify(item)
        name = staged.original_name
        if verdict.kind in (IDENTICAL, IDENTICAL_ELSEWHERE):
            return self._identical(item, verdict, name)
        conflict: dict[str, Any] | None = None
        replaced: list[str] = []
        basename = verdict.basename
        photo = verdict.photo
        if verdict.kind == NAME_TAKEN:
            conflict = {"taken_by": verdict.taken_by}
            policy = self.options.on_name_taken
            if policy == SKIP:
                reason = f"name taken: {verdict.taken_by} is a different file"
                photo_id = photo.id if photo is not None else None
                return FileResult(
                    name, FileOutcome.SKIPPED, photo_id=photo_id, reason=reason, **class_of(verdict)
                )
            if policy == OVERWRITE and verdict.replaceable:
                basename = verdict.own_basename
                if photo is not None and verdict.taken_by in photo.filenames:
                    replaced = [verdict.taken_by]  # type: ignore[list-item]
                conflict["overwritten"] = True
            else:
                photo = None  # both kept: a photo of its own, under the free name
                conflict["renamed_from"] = staged.name
        elif verdict.kind == NEW and self.options.move_conflicts_here:
            elsewhere = photo_elsewhere(session, project, basename)
            if elsewhere is not None:
                other, other_project = elsewhere
                conflict = {"project": other_project.folder, "photo_id": other.id}
                self.to_move.add(other.id)
        if photo is None:
            photo = photo_in_project(session, project.id, basename) or new_photo(project, basename)
            session.add(photo)
            session.flush()
        extension = split_name(staged.name)[1]
        target_name = f"{basename}{extension}"
        target = self.runtime.paths.child(self.folder, target_name)
        self._claim(staged, target, photo, replaced)
        stat = target.stat()
        facts = FileFacts(
            stat.st_size, stat.st_mtime_ns, staged.fingerprint, self.batch, item.source_key
        )
        add_file(photo, target_name, staged.size, facts)
        if staged.metadata is not None:
            apply_metadata(photo, target_name, staged.metadata, staged.file_time)
        session.flush()
        self.touched.add(photo.id)
        return FileResult(
            name=name,
            status=FileOutcome.STORED,
            stored_as=target_name,
            photo_id=photo.id,
            conflict=conflict,
            **class_of(verdict),
        )

    def _identical(self, item: Incoming, verdict: Verdict, name: str) -> FileResult:
        twin = verdict.twin
        assert twin is not None
        where = "" if verdict.kind == IDENTICAL else f" in project {twin.project_name!r}"
        if verdict.kind == IDENTICAL and twin.photo_id is not None:
            # The stored twin now stands for this source file: the rest of its folder in this
            # batch pairs with it (a RAW arriving after its JPG was found identical).
            record = self.session.scalar(
                select(PhotoFile).where(
                    PhotoFile.photo_id == twin.photo_id, PhotoFile.filename == twin.filename
                )
            )
            if record is not None and self.batch is not None:
                record.batch, record.source_key = self.batch, item.source_key
        return FileResult(
            name,
            FileOutcome.SKIPPED,
            photo_id=twin.photo_id,
            reason=f"identical to {twin.filename}{where}",
            conflict={"identical_to": twin.as_dict()},
            **class_of(verdict),
        )

    def _claim(self, staged: StagedFile, target: Path, photo: Photo, replaced: list[str]) -> None:
        """Link the staged file to `target` (the photo's `replaced` files and, when overwriting,
        a loose file at `target` go to `.trash` first), or leave the file's savepoint with why
        not, every file moved for it put back."""
        assert staged.temp_path is not None
        name = staged.original_name
        moved: list[tuple[Path, Path]] = []
        try:
            with beside(staged.temp_path, self.folder) as private:
                for old_name in replaced:
                    moved += self._trash(photo, old_name)
                if target.exists() and self.options.on_name_taken == OVERWRITE:
                    moved.append((self._trash_loose(target), target))
                claim_name(private, target)
        except OSError as exc:
            self._put_back(moved)
            if isinstance(exc, FileExistsError):
                reason = f"a file named {target.name} is already in the folder"
                raise _NotPlaced(
                    FileResult(name=name, status=FileOutcome.SKIPPED, reason=reason)
                ) from exc
            if is_disk_full(exc):
                raise _NotPlaced(rejection(name, disk_full(staged.name))) from exc
            if not self.folder.is_dir():
                raise folder_missing(self.project) from exc
            raise

    def _put_back(self, moved: list[tuple[Path, Path]]) -> None:
        """Files trashed for a placement that failed return (their trash records are rolled
        back with it); one whose name was taken meanwhile stays in `.trash`, not lost."""
        for trashed, original in reversed(moved):
            try:
                claim_name(trashed, original)
            except OSError as exc:
                log_event(
                    log, "trash_put_back_failed", logging.WARNING, path=str(trashed), error=str(exc)
                )
                continue
            trashed.unlink()

    def _trash(self, photo: Photo, filename: str) -> list[tuple[Path, Path]]:
        """Trash one of the photo's files; (where it went, where it was), if it was on disk."""
        path = self.runtime.paths.child(self.folder, filename)
        size = path.stat().st_size if path.exists() else 0
        moved = [(self._trash_loose(path), path)] if path.exists() else []
        remove_file(photo, filename, size)
        return moved

    def _trash_loose(self, path: Path) -> Path:
        return trash_file(
            self.session,
            self.runtime.paths,
            tenant=self.project.tenant,
            project_id=self.project.id,
            folder=self.project.folder,
            source=path,
            reason=TrashReason.OVERWRITTEN_BY_UPLOAD,
        )


def place_files(
    runtime: Runtime,
    project_id: int,
    staged_files: list[StagedFile],
    options: IngestOptions,
    batch: str | None = None,
) -> IngestReport:
    """Place staged files of one upload batch (`batch`: its id, or None for a batch of these
    files alone); queue `upload_postprocess` (and `image_move` when asked) with them."""
    batch = batch or new_batch_id()
    report = IngestReport()
    try:
        with runtime.db.write() as session:
            # Locked (PostgreSQL; SQLite has one writer anyway): a delete committed first is
            # seen here, one started later waits until these files are placed.
            project = hold_project(session, project_id)
            if project is None or project.status != ProjectStatus.ACTIVE:
                raise ProjectNotFound("the project was deleted while its files arrived")
            checked_folder(runtime, project)
            placer = Placer(runtime, session, project, options, batch)
            report.files = [placer.place(staged) for staged in staged_files]
            if placer.touched:
                job = runtime.queue.start_or_join(
                    session,
                    "upload_postprocess",
                    project_id=project.id,
                    photo_ids=sorted(placer.touched),
                )
                report.task_id = job.task_id
                runtime.queue.start_debounced(session, "upload_reconcile", project_id=project.id)
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
        stored=report.count(FileOutcome.STORED),
        skipped=report.count(FileOutcome.SKIPPED),
        rejected=report.count(FileOutcome.REJECTED),
    )
    return report
