"""Shared pieces for the ingest tests (upload sources, tus, import, discovery, folder_check, move).

Real files, a real database and the real job queue: files are staged and placed by the same code
an upload uses, tasks are started with `runtime.queue.start_task` and run by a `Runner` on the
test's thread. Not a test module.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from contactsheet.catalog.projects import create_project
from contactsheet.db.enums import DerivativeKind, JobStatus
from contactsheet.db.tables import Event, Job, Photo, PhotoTag, Project, Tag, Task
from contactsheet.derivatives.params import derivative_path, specs
from contactsheet.handlers import default_registry
from contactsheet.ingest.outcomes import IngestOptions, IngestReport
from contactsheet.ingest.placement import place_files
from contactsheet.ingest.staging import stage_existing, staging_dir
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from contactsheet.workers.runner import Runner, run_until_idle
from tests import imagefactory
from tests.conftest import ADMIN_PASSWORD

JOB_TIMEOUT = 60.0


# -- sample files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    """Small real files of each kind, made once per module and copied where a test needs them."""

    jpg: Path
    jpg_other: Path  # another JPEG (different pixels and orientation), to tell files apart
    raw: Path  # DNG with an embedded preview
    png: Path
    pdf_as_jpg: Path  # a PDF wearing a .jpg name

    def copy(self, which: str, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(getattr(self, which), target)
        return target

    def variant(self, which: str, target: Path, tag: str) -> Path:
        """A copy with content of its own: identical bytes are one photo (docs/ingest.md)."""
        return imagefactory.variant_file(getattr(self, which), target, tag)


def make_samples(folder: Path) -> Samples:
    folder.mkdir(parents=True, exist_ok=True)
    return Samples(
        jpg=imagefactory.jpeg(folder / "sample.jpg", 160, 120),
        jpg_other=imagefactory.jpeg(folder / "other.jpg", 120, 160, orientation=6),
        raw=imagefactory.dng_with_preview(folder / "sample.dng", 320, 212, 240),
        png=imagefactory.png(folder / "sample.png", 48, 48),
        pdf_as_jpg=imagefactory.not_an_image(folder / "fake.jpg"),
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) by relative path, with its content hash."""
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def thumbnail(runtime: Runtime, folder: str, basename: str) -> Path:
    """Where the thumbnail of a photo lives, asked of the one module that names them."""
    spec = specs(runtime.settings.processing)[DerivativeKind.THUMBNAIL]
    return derivative_path(runtime.paths, folder, basename, spec)


def preview(runtime: Runtime, folder: str, basename: str) -> Path:
    spec = specs(runtime.settings.processing)[DerivativeKind.PREVIEW]
    return derivative_path(runtime.paths, folder, basename, spec)


def visible(folder: Path) -> list[str]:
    """The names in a project folder that are not the app's own (hidden) entries."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


# -- catalog ---------------------------------------------------------------------------------------


def make_project(runtime: Runtime, name: str) -> Project:
    return create_project(runtime.db, runtime.paths, runtime.tenant, name)


def store(runtime: Runtime, project: Project, files: dict[str, Path]) -> IngestReport:
    """Put files into a project exactly as an upload does (staged, checked, placed)."""
    directory = staging_dir(runtime.paths)
    limit = runtime.settings.processing.upload_max_bytes
    staged = [stage_existing(src, directory, limit, name) for name, src in files.items()]
    report = place_files(runtime, project.id, staged, IngestOptions())
    assert all(f.status == "stored" for f in report.files), report.files
    return report


def project_row(runtime: Runtime, project_id: int) -> Project:
    with runtime.db.read() as session:
        return session.get_one(Project, project_id)


def projects(runtime: Runtime) -> list[Project]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Project).order_by(Project.id)))


def photos(runtime: Runtime, project_id: int) -> dict[str, Photo]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Photo).where(Photo.project_id == project_id))
        return {p.basename: p for p in rows}


def photo(runtime: Runtime, photo_id: int) -> Photo:
    with runtime.db.read() as session:
        return session.get_one(Photo, photo_id)


def add_tags(runtime: Runtime, photo_id: int, names: Iterable[str]) -> None:
    with runtime.db.write() as session:
        item = session.get_one(Photo, photo_id)
        for tag_name in names:
            tag = Tag(
                tenant=item.tenant,
                project_id=item.project_id,
                name=tag_name,
                name_key=name_key(tag_name),
            )
            session.add(tag)
            session.flush()
            session.add(PhotoTag(photo_id=item.id, tag_id=tag.id))


def tags_of(runtime: Runtime, photo_id: int) -> list[tuple[str, int]]:
    """(tag name, the tag's project id) of a photo, sorted."""
    with runtime.db.read() as session:
        rows = session.execute(
            select(Tag.name, Tag.project_id)
            .join(PhotoTag, PhotoTag.tag_id == Tag.id)
            .where(PhotoTag.photo_id == photo_id)
        )
        return sorted((name, project_id) for name, project_id in rows)


def decisions(item: Photo) -> dict[str, Any]:
    """The user's decisions about a photo, which indexing must never reset."""
    return {
        "keep_jpg": item.keep_jpg,
        "keep_raw": item.keep_raw,
        "visibility": item.visibility,
        "rating": item.rating,
        "pick": item.pick,
    }


def set_decisions(runtime: Runtime, photo_id: int, **values: Any) -> None:
    with runtime.db.write() as session:
        item = session.get_one(Photo, photo_id)
        for key, value in values.items():
            setattr(item, key, value)


def catalog_snapshot(runtime: Runtime) -> dict[str, Any]:
    """Everything discovery or indexing could change in the catalog, comparable with ==."""
    with runtime.db.read() as session:
        project_rows = [
            (p.id, p.name, p.folder, p.status) for p in session.scalars(select(Project))
        ]
        photo_rows = [
            (
                p.id,
                p.project_id,
                p.basename,
                tuple(p.filenames),
                p.file_size,
                *decisions(p).values(),
            )
            for p in session.scalars(select(Photo))
        ]
        tag_rows = [tuple(r) for r in session.execute(select(PhotoTag.photo_id, PhotoTag.tag_id))]
        task_ids = list(session.scalars(select(Task.id)))
    return {
        "projects": sorted(project_rows),
        "photos": sorted(photo_rows),
        "tags": sorted(tag_rows),
        "tasks": sorted(task_ids),
    }


# -- jobs ------------------------------------------------------------------------------------------


def start(
    runtime: Runtime,
    task_type: str,
    *,
    project_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Job:
    with runtime.db.write() as session:
        return runtime.queue.start_task(session, task_type, project_id=project_id, payload=payload)


def runner(runtime: Runtime) -> Runner:
    return Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))


def run_all(runtime: Runtime, timeout: float = JOB_TIMEOUT) -> None:
    """Run every runnable job, the steps each completed job queues included."""
    run_until_idle(runner(runtime), timeout=timeout)


def run_next(runtime: Runtime, expected_type: str) -> Job:
    """Claim and run exactly one job (the best queued one), which must be of `expected_type`."""
    worker = runner(runtime)
    held = runtime.queue.claim(worker.name)
    assert held is not None, f"no runnable job; expected {expected_type}"
    outcome = worker.run_one(held)
    finished = runtime.queue.get(held.id)[0]
    assert finished.type == expected_type, f"ran {finished.type}, expected {expected_type}"
    assert finished.status == JobStatus.COMPLETED, (outcome, finished.last_error)
    return finished


def jobs(runtime: Runtime, job_type: str, status: JobStatus | None = None) -> list[Job]:
    with runtime.db.read() as session:
        query = select(Job).where(Job.type == job_type)
        if status is not None:
            query = query.where(Job.status == status)
        return list(session.scalars(query.order_by(Job.id)))


def tasks(runtime: Runtime, task_type: str) -> list[Task]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Task).where(Task.type == task_type).order_by(Task.id)))


def events(runtime: Runtime, *types: str) -> list[tuple[str, dict[str, Any]]]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Event).where(Event.type.in_(types)).order_by(Event.id))
        return [(e.type, e.data) for e in rows]


# -- live servers ----------------------------------------------------------------------------------


def login_cookie(base_url: str) -> str:
    """Log in against a live server; the value of its `cs_access` session cookie."""
    with httpx.Client(base_url=base_url, timeout=10.0) as http:
        response = http.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return str(http.cookies["cs_access"])


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
