"""Shared pieces for the derivative tests: sample files, uploads through the API, running the
jobs here, and reading derivative records and files back."""

from __future__ import annotations

import functools
import io
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import func, select

from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.catalog.projects import find_project
from contactsheet.config import Settings
from contactsheet.db.tables import Derivative, Job, Photo, Project, Task
from contactsheet.derivatives.params import derivative_path, specs
from contactsheet.handlers import default_registry
from contactsheet.runtime import Runtime, open_runtime
from contactsheet.workers.runner import Runner, run_until_idle
from tests import imagefactory
from tests.pipelinesupport import spawn_worker, stop_worker  # noqa: F401 (re-exported)

T = TypeVar("T")
JOB_TIMEOUT = 90.0
KINDS = ("thumbnail", "preview")
Files = list[tuple[str, bytes]]


# --- sample files (made once per test process) --------------------------------------------------


def _made(write: Callable[[Path], Path], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write(Path(folder) / f"sample{suffix}").read_bytes()


@functools.cache
def jpeg_bytes(width: int, height: int, orientation: int = 1, quality: int = 90) -> bytes:
    return _made(
        lambda p: imagefactory.jpeg(p, width, height, orientation, quality=quality), ".jpg"
    )


@functools.cache
def truncated_jpeg_bytes(width: int = 1200, height: int = 800) -> bytes:
    return _made(lambda p: imagefactory.truncated_jpeg(p, width, height), ".jpg")


@functools.cache
def unreadable_jpeg_bytes(width: int = 1200, height: int = 800) -> bytes:
    return _made(lambda p: imagefactory.unreadable_jpeg(p, width, height), ".jpg")


@functools.cache
def stray_bytes_jpeg_bytes(width: int = 1200, height: int = 800) -> bytes:
    return _made(lambda p: imagefactory.jpeg_with_stray_bytes(p, width, height), ".jpg")


@functools.cache
def ojpeg_tiff_bytes(width: int, height: int) -> bytes:
    return _made(lambda p: imagefactory.ojpeg_tiff(p, width, height), ".tif")


@functools.cache
def huge_png_bytes(width: int, height: int) -> bytes:
    return _made(lambda p: imagefactory.huge_png(p, width, height), ".png")


@functools.cache
def png_bytes(width: int, height: int) -> bytes:
    return _made(lambda p: imagefactory.png(p, width, height), ".png")


@functools.cache
def tiff_bytes(width: int, height: int) -> bytes:
    return _made(lambda p: imagefactory.tiff(p, width, height), ".tif")


@functools.cache
def dng_bytes(width: int, height: int, preview_long_edge: int) -> bytes:
    return _made(
        lambda p: imagefactory.dng_with_preview(p, width, height, preview_long_edge), ".dng"
    )


def distinct_jpegs(count: int, width: int = 400, height: int = 300, prefix: str = "DSC0") -> Files:
    """`count` JPEGs with distinct names and distinct bytes (each its own quality)."""
    return [
        (f"{prefix}{5140 + i}.JPG", jpeg_bytes(width, height, quality=60 + i)) for i in range(count)
    ]


# --- the API --------------------------------------------------------------------------------------


def create_project(client: TestClient, name: str) -> str:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["folder"]  # type: ignore[no-any-return]


def upload(client: TestClient, folder: str, files: Files) -> dict[str, Any]:
    multipart = [
        ("files", (name, io.BytesIO(data), "application/octet-stream")) for name, data in files
    ]
    response = client.post(f"/api/projects/{folder}/upload", files=multipart)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["stored"] == len(files), body
    return body


def thumbnail(client: TestClient, folder: str, basename: str, **headers: str) -> Response:
    return client.get(f"/api/projects/{folder}/thumbnail/{basename}", headers=headers)


def preview(client: TestClient, folder: str, basename: str) -> Response:
    return client.get(f"/api/projects/{folder}/preview/{basename}")


def decoded(data: bytes) -> Image.Image:
    """The image fully decoded (a truncated file raises here, not later)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@contextmanager
def opened_client(settings: Settings) -> Iterator[tuple[Runtime, TestClient]]:
    """A runtime, app and logged-in client of their own (for other settings on the same library)."""
    from tests.conftest import ADMIN_PASSWORD, login

    runtime = open_runtime(settings)
    try:
        ensure_admin_password(runtime.db, ADMIN_PASSWORD)
        with TestClient(create_app(runtime)) as client:
            login(client)
            yield runtime, client
    finally:
        runtime.close()


# --- jobs -----------------------------------------------------------------------------------------


def runner(runtime: Runtime) -> Runner:
    return Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))


def run_jobs(runtime: Runtime, timeout: float = JOB_TIMEOUT) -> None:
    run_until_idle(runner(runtime), timeout=timeout)


def run_jobs_through(runtime: Runtime, step_type: str, timeout: float = JOB_TIMEOUT) -> Job:
    """Run queued jobs one by one (best first) until a `step_type` job has run; returns it."""
    worker = runner(runtime)
    for _ in range(100):
        claimed = runtime.queue.claim(worker.name)
        assert claimed is not None, f"no {step_type} job ran"
        worker.run_one(claimed)
        if claimed.type == step_type:
            return runtime.queue.get(claimed.id)[0]
    raise AssertionError(f"no {step_type} job within 100 jobs")


def jobs(runtime: Runtime, step_type: str) -> list[Job]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Job).where(Job.type == step_type).order_by(Job.id)))


def tasks(runtime: Runtime, task_type: str) -> list[Task]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Task).where(Task.type == task_type).order_by(Task.id)))


def job_count(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(Job)) or 0


# --- records and files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    id: int
    photo_id: int
    kind: str
    status: str
    error: str | None
    file_size: int | None
    params_key: str | None
    params: dict[str, Any]
    generated_at: datetime | None
    warning: str | None = None


def photo_ids(runtime: Runtime, folder: str) -> dict[str, int]:
    with runtime.db.read() as session:
        project_id = find_project(session, runtime.tenant, folder).id
        rows = session.execute(
            select(Photo.basename, Photo.id).where(Photo.project_id == project_id)
        ).all()
    return {basename: photo_id for basename, photo_id in rows}


def records(runtime: Runtime, folder: str) -> dict[str, dict[str, Record]]:
    """basename -> kind -> its derivative record (photos without records map to {})."""
    with runtime.db.read() as session:
        project_id = find_project(session, runtime.tenant, folder).id
        photos = session.execute(
            select(Photo.id, Photo.basename).where(Photo.project_id == project_id)
        ).all()
        found: dict[str, dict[str, Record]] = {basename: {} for _, basename in photos}
        names = {photo_id: basename for photo_id, basename in photos}
        for d in session.scalars(
            select(Derivative).where(Derivative.photo_id.in_(list(names) or [-1]))
        ):
            found[names[d.photo_id]][d.kind] = Record(
                d.id,
                d.photo_id,
                d.kind,
                str(d.status),
                d.error,
                d.file_size,
                d.params_key,
                dict(d.params),
                d.generated_at,
                d.warning,
            )
    return found


def all_records(runtime: Runtime) -> list[Derivative]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Derivative).order_by(Derivative.id)))


def project_folder_of(runtime: Runtime, project_id: int) -> str:
    with runtime.db.read() as session:
        return session.get_one(Project, project_id).folder


def derivative_file(runtime: Runtime, folder: str, basename: str, kind: str) -> Path:
    return derivative_path(
        runtime.paths, folder, basename, specs(runtime.settings.processing)[kind]
    )


def statuses(runtime: Runtime, folder: str) -> dict[str, dict[str, str]]:
    return {
        basename: {kind: record.status for kind, record in by_kind.items()}
        for basename, by_kind in records(runtime, folder).items()
    }


def assert_all_generated(
    runtime: Runtime, folder: str, basenames: list[str], *, exact: bool = True
) -> None:
    """Each of these photos (with `exact`: and no other) has both records `generated`, and each
    file is on disk with the recorded size and decodes fully."""
    found = records(runtime, folder)
    if exact:
        assert sorted(found) == sorted(basenames)
    for basename in basenames:
        for kind in KINDS:
            record = found[basename].get(kind)
            assert record is not None, f"{basename}: no {kind} record"
            assert record.status == "generated", (basename, kind, record.status, record.error)
            path = derivative_file(runtime, folder, basename, kind)
            assert path.is_file(), f"{path} is missing"
            assert path.stat().st_size == record.file_size
            decoded(path.read_bytes())


def jpeg_series(count: int, width: int, height: int, prefix: str = "CR") -> Files:
    """`count` JPEGs of one scene, each saved at its own quality (distinct bytes, cheaply; past
    45 qualities, a comment tells them apart: identical bytes would be one photo)."""
    picture = imagefactory.stored(width, height)
    exif = imagefactory.exif_bytes()
    files = []
    for i in range(count):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=50 + i % 45, exif=exif)
        data = buffer.getvalue() if i < 45 else imagefactory.variant(buffer.getvalue(), str(i))
        files.append((f"{prefix}{i:04d}.JPG", data))
    return files


# --- worker processes -----------------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def concurrently(calls: list[Callable[[], T]], workers: int, timeout: float = 120.0) -> list[T]:
    """Run the calls on `workers` threads; their results in order. Gives up (without waiting for
    stuck threads) once `timeout` seconds have passed: a deadlock fails instead of hanging."""
    pool = ThreadPoolExecutor(workers)
    try:
        futures = [pool.submit(call) for call in calls]
        deadline = time.monotonic() + timeout
        return [f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
