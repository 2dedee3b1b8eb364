"""`contactsheet import PATH`: a folder tree of photos into a project, by the upload rules.

One import is one batch: files pair by basename only within their own folder of the tree
(`100CANON/IMG_0001.JPG` with `100CANON/IMG_0001.DNG`), and each file is reported by its path
relative to PATH."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from contactsheet.catalog.photos import file_kind
from contactsheet.catalog.projects import create_project
from contactsheet.db.enums import FileOutcome, ProjectStatus
from contactsheet.db.tables import Project
from contactsheet.ingest.batches import new_batch_id, source_folder
from contactsheet.ingest.outcomes import FileResult, IngestOptions
from contactsheet.ingest.placement import place_files
from contactsheet.ingest.project_folder import checked_folder
from contactsheet.ingest.staging import StagedFile, stage_existing, staging_dir
from contactsheet.library.names import clean_display_name, name_key
from contactsheet.runtime import Runtime

BATCH = 100


@dataclass
class ImportReport:
    project_folder: str = ""
    files: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    bytes: int = 0
    moved_sources: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def walk(source: Path) -> Iterator[Path]:
    """Every regular file under `source`, in a stable order, skipping hidden files and folders."""
    if source.is_file():
        yield source
        return
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        yield path


def project_for(runtime: Runtime, name: str) -> Project:
    """The active project of that name, created when there is none."""
    key = name_key(clean_display_name(name))
    with runtime.db.read() as session:
        project = session.scalar(
            select(Project).where(
                Project.tenant == runtime.tenant,
                Project.status == ProjectStatus.ACTIVE,
                Project.name_key == key,
            )
        )
    return project or create_project(runtime.db, runtime.paths, runtime.tenant, name)


def import_path(
    runtime: Runtime,
    source: Path,
    *,
    project_name: str | None,
    move: bool,
    options: IngestOptions,
    on_file: Callable[[Path, int], None] = lambda _path, _size: None,
) -> ImportReport:
    source = source.resolve()
    project = project_for(
        runtime, project_name or (source.stem if source.is_file() else source.name)
    )
    report = ImportReport(project_folder=project.folder)
    checked_folder(runtime, project)  # before a file is copied
    directory = staging_dir(runtime.paths)
    limit = runtime.settings.processing.upload_max_bytes
    batch_id = new_batch_id()
    batch: list[tuple[Path, StagedFile]] = []

    def flush() -> None:
        staged = [s for _, s in batch]
        # The project is checked again here: deleted or its folder gone meanwhile, the import
        # stops with that error (and `place_files` has removed the batch's staged files).
        result = place_files(runtime, project.id, staged, options, batch_id)
        for (origin, _), outcome in zip(batch, result.files, strict=True):
            report.files.append(outcome)
            if move and outcome.status == FileOutcome.STORED:
                origin.unlink(missing_ok=True)
                report.moved_sources += 1
        batch.clear()

    try:
        for path in walk(source):
            if file_kind(path.name) in (None, "sidecar"):
                report.ignored.append(str(path))
                continue
            size = path.stat().st_size
            relative = path.name if path == source else path.relative_to(source).as_posix()
            staged = stage_existing(path, directory, limit, relative)
            staged.source = source_folder(relative)
            batch.append((path, staged))
            report.bytes += size
            on_file(path, size)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    finally:
        for _, staged in batch:
            staged.discard()
    return report
