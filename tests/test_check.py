"""`contactsheet check`, `GET /api/check` and the maintenance run around them, as a user meets
them: check reads and changes nothing, exits 1 on an error, `maintenance run` fixes what it can,
and a second check is clean; maintenance runs one at a time and finishes after a kill -9."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from contactsheet.cli import app as cli
from contactsheet.config import Settings
from contactsheet.db.enums import JobStatus, TaskStatus
from contactsheet.db.tables import Job, Task
from contactsheet.runtime import Runtime
from tests.derivsupport import create_project, distinct_jpegs, jpeg_bytes, run_jobs, upload
from tests.ingestsupport import catalog_snapshot, events, make_samples, run_all, tree
from tests.pipelinesupport import pipeline_settings, spawn_worker, wait_for
from tests.pipelinesupport import stop_worker as stop

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """Leases short enough that a killed worker's job is taken over within seconds."""
    return pipeline_settings(data_dir, database_url)


def _run(runtime: Runtime, *args: str) -> Result:
    env = {
        "CONTACTSHEET_DATA": str(runtime.settings.data),
        "CONTACTSHEET_DATABASE_URL": runtime.db.url,
        "CONTACTSHEET_PIPELINE__POLL_INTERVAL_MS": "50",
        "CONTACTSHEET_PIPELINE__SCHEDULER_ENABLED": "false",
        "COLUMNS": "200",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def _drifted_library(admin: TestClient, runtime: Runtime) -> str:
    """A project whose thumbnails were deleted to save space, with files copied in by hand."""
    folder = create_project(admin, "Drifted")
    upload(admin, folder, distinct_jpegs(3, 300, 200))
    run_jobs(runtime)
    directory = runtime.paths.project_dir(folder)
    for thumb in (directory / ".thumb").iterdir():
        thumb.unlink()
    (directory / "notes.txt").write_text("contact sheet of the day")
    (directory / "extra.jpg").write_bytes(jpeg_bytes(200, 150, quality=41))
    return folder


def test_check_changes_nothing_and_maintenance_makes_it_clean(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = _drifted_library(admin, runtime)
    disk, catalog = tree(runtime.paths.root / "projects"), catalog_snapshot(runtime)

    result = _run(runtime, "check")
    assert result.exit_code == 1, result.output
    for words in ("derivative_miss", "file_without_p", "unmanaged_file", "4 error(s)"):
        assert words in result.output, result.output
    report = json.loads(_run(runtime, "check", "--json").stdout)
    assert report["clean"] is False
    assert report["counts"] == {
        "derivative_missing": 3,
        "file_without_photo": 1,
        "unmanaged_file": 1,
    }
    assert _run(runtime, "check", "--project", folder).exit_code == 1
    assert tree(runtime.paths.root / "projects") == disk, "check wrote to the library"
    assert catalog_snapshot(runtime) == catalog, "check wrote to the catalog"
    api = admin.get("/api/check")
    assert api.status_code == 200
    assert {k: api.json()[k] for k in ("clean", "errors", "counts")} == {
        k: report[k] for k in ("clean", "errors", "counts")
    }

    fixed = _run(runtime, "maintenance", "run")
    assert fixed.exit_code == 0, fixed.output
    run_jobs(runtime)  # the thumbnails it queued

    again = _run(runtime, "check")
    assert again.exit_code == 0, again.output
    assert "clean" in again.output
    assert admin.get("/api/check").json()["clean"] is True
    assert admin.get("/api/check", params={"project": folder}).json()["counts"] == {
        "unmanaged_file": 1
    }


def test_check_of_an_unknown_project_is_a_clear_error(admin: TestClient, runtime: Runtime) -> None:
    result = _run(runtime, "check", "--project", "nowhere")
    assert result.exit_code == 2 and "nowhere" in result.output
    assert "Traceback" not in result.output
    for url in ("/api/check", "/api/maintenance/findings"):
        response = admin.get(url, params={"project": "nowhere"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "project_not_found"


def test_every_step_reports_what_it_found_and_changed(admin: TestClient, runtime: Runtime) -> None:
    _drifted_library(admin, runtime)
    response = admin.post("/api/maintenance/run", json={})
    assert response.status_code == 202
    run_all(runtime)
    task_id = response.json()["task_id"]
    with runtime.db.read() as session:
        steps = {
            j.type: j.result
            for j in session.scalars(select(Job).where(Job.task_id == task_id).order_by(Job.id))
        }
    assert list(steps) == [s.type for s in runtime.queue.definition("maintenance_global").steps]
    for step, result in steps.items():
        assert result is not None and set(result) >= {"found", "changed"}, step
    reports = {d["step"]: d for _, d in events(runtime, "step_report") if d["task_id"] == task_id}
    assert set(reports) == set(steps)
    assert reports["cache_validation"]["changed"]["marked_missing"] == 3
    assert reports["folder_check"]["changed"]["indexed"] == 1


def test_two_maintenance_requests_at_once_start_one_run(
    admin: TestClient, runtime: Runtime
) -> None:
    answers: list[dict[str, Any]] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        barrier.wait()
        response = admin.post("/api/maintenance/run", json={})
        assert response.status_code == 202, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({a["task_id"] for a in answers}) == 1 and len(answers) == 4
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 1


def test_a_maintenance_run_killed_mid_way_completes_when_run_again(
    admin: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    folder = create_project(admin, "Big shoot")
    directory = runtime.paths.project_dir(folder)
    samples = make_samples(tmp_path / "samples")
    for n in range(300):  # enough files by hand that indexing them takes a while
        samples.variant("jpg", directory / f"HAND{n:04d}.JPG", f"hand-{n}")
    response = admin.post("/api/maintenance/run", json={})
    task_id = response.json()["task_id"]

    worker = spawn_worker(runtime, tmp_path / "worker.log")
    try:

        def indexing() -> bool:
            with runtime.db.read() as session:
                job = session.scalar(
                    select(Job).where(Job.task_id == task_id, Job.type == "folder_check")
                )
            return job is not None and job.status == JobStatus.RUNNING and job.progress_done >= 0

        wait_for(indexing, timeout=60, interval=0.01, what="folder_check running")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        stop(worker)
    assert runtime.queue.task_status(task_id)[0] == TaskStatus.RUNNING

    again = admin.post("/api/maintenance/run", json={})
    assert again.json()["task_id"] == task_id, "the interrupted run is the one running"

    def finished() -> bool:
        # The dead worker's job is taken over once its lease is stale (`stale_seconds`).
        runtime.queue.requeue_stale()
        run_all(runtime, timeout=180)
        return runtime.queue.task_status(task_id)[0] != TaskStatus.RUNNING

    wait_for(finished, timeout=120, interval=0.2, what="the interrupted run finished")

    assert runtime.queue.task_status(task_id)[0] == TaskStatus.COMPLETED
    with runtime.db.read() as session:
        running = session.scalar(select(func.count()).where(Job.status == JobStatus.RUNNING))
    assert running == 0
    photos = admin.get(f"/api/projects/{folder}/photos", params={"limit": 500}).json()["items"]
    assert len(photos) == 300, "every file indexed once, none twice"
    report = admin.get("/api/check").json()
    assert report["clean"] is True, report
