"""The jobs and tasks API (docs/jobs.md): listing, one job, cancel, retry, the task catalogue,
starting tasks for a project and maintenance now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.clock import utcnow
from contactsheet.config import Settings
from contactsheet.db.enums import JobStatus, TaskStatus
from contactsheet.db.tables import Job, Photo
from contactsheet.handlers import default_registry
from contactsheet.jobs.tasks import CATALOGUE
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime, open_runtime
from contactsheet.workers.registry import Registry
from contactsheet.workers.runner import Runner, run_until_idle
from tests.conftest import ADMIN_PASSWORD, login

RUN_TIMEOUT = 30.0


@pytest.fixture
def jobs_runtime(data_dir: Path, database_url: str) -> Iterator[Runtime]:
    """A runtime that knows the test tasks of tests.jobsupport; one attempt per job."""
    settings = Settings(
        data=data_dir,
        database_url=database_url,
        pipeline={  # type: ignore[arg-type]
            "scheduler_enabled": False,
            "workers_in_serve": False,
            "handler_modules": ["tests.jobsupport"],
            "max_attempts": 1,
        },
    )
    runtime = open_runtime(settings)
    ensure_admin_password(runtime.db, ADMIN_PASSWORD)
    yield runtime
    runtime.close()


@pytest.fixture
def api(jobs_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(jobs_runtime)) as client:
        login(client)
        yield client


@pytest.fixture
def runner(jobs_runtime: Runtime) -> Runner:
    registry = default_registry(jobs_runtime.settings.pipeline)
    return Runner(jobs_runtime, jobs_runtime.queue, registry, name="test-worker")


def start(
    runtime: Runtime,
    task_type: str,
    payload: dict[str, Any] | None = None,
    project_id: int | None = None,
) -> tuple[int, int]:
    """Start a task through the queue; returns (task id, first job id)."""
    with runtime.db.write() as session:
        job = runtime.queue.start_task(
            session, task_type, project_id=project_id, payload=payload or {}
        )
    assert job.task_id is not None
    return job.task_id, job.id


def ids(response_json: dict[str, Any]) -> list[int]:
    return [item["id"] for item in response_json["items"]]


def error_code(response: Any) -> str:
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


def create_project(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def add_photo(runtime: Runtime, project_id: int, basename: str) -> int:
    with runtime.db.write() as session:
        photo = Photo(
            tenant=runtime.tenant,
            project_id=project_id,
            basename=basename,
            basename_key=name_key(basename),
            filenames=[f"{basename}.JPG"],
            jpg_available=True,
        )
        session.add(photo)
        session.flush()
        return photo.id


# -- GET /api/jobs --------------------------------------------------------------------------------


def test_list_is_newest_first_and_filters_by_status_and_type(
    api: TestClient, jobs_runtime: Runtime, tmp_path: Path
) -> None:
    _, record = start(jobs_runtime, "t_record", {"file": str(tmp_path / "record.txt")})
    _, sleep = start(jobs_runtime, "t_sleep", {"seconds": 0.1})
    _, items = start(jobs_runtime, "t_items", {"count": 2})
    _, fail = start(jobs_runtime, "t_fail")

    listed = api.get("/api/jobs")
    assert listed.status_code == 200, listed.text
    assert ids(listed.json()) == [fail, items, sleep, record]
    assert listed.json()["next_before"] is None
    first = listed.json()["items"][0]
    assert first["type"] == "t_fail"
    assert first["status"] == "queued"
    assert first["progress"] == {"done": 0, "total": 0}

    assert api.post(f"/api/jobs/{sleep}/cancel").status_code == 200
    assert ids(api.get("/api/jobs", params={"status": "canceled"}).json()) == [sleep]
    assert ids(api.get("/api/jobs", params={"status": "queued"}).json()) == [fail, items, record]
    both = api.get("/api/jobs", params={"status": "queued,canceled"})
    assert ids(both.json()) == [fail, items, sleep, record]
    repeated = api.get("/api/jobs", params=[("status", "canceled"), ("status", "running")])
    assert ids(repeated.json()) == [sleep]

    assert ids(api.get("/api/jobs", params={"type": "t_record,t_sleep"}).json()) == [sleep, record]
    assert ids(api.get("/api/jobs", params={"type": "t_items"}).json()) == [items]
    assert ids(api.get("/api/jobs", params={"type": "no_such_step"}).json()) == []
    combined = api.get("/api/jobs", params={"type": "t_record,t_sleep", "status": "queued"})
    assert ids(combined.json()) == [record]


def test_list_filters_by_project_folder(api: TestClient, jobs_runtime: Runtime) -> None:
    project = create_project(api, "Filter Shoot")
    other = create_project(api, "Other Shoot")
    started = api.post(
        f"/api/projects/{project['folder']}/tasks", json={"task_type": "maintenance"}
    )
    assert started.status_code == 202, started.text
    api.post(f"/api/projects/{other['folder']}/tasks", json={"task_type": "maintenance"})
    start(jobs_runtime, "t_sleep")

    listed = api.get("/api/jobs", params={"project": project["folder"]})
    assert listed.status_code == 200, listed.text
    assert ids(listed.json()) == [started.json()["job_id"]]
    assert listed.json()["items"][0]["project_id"] == project["id"]

    unknown = api.get("/api/jobs", params={"project": "No Such Project"})
    assert unknown.status_code == 404
    assert error_code(unknown) == "project_not_found"


def test_list_pages_backwards_with_next_before(api: TestClient, jobs_runtime: Runtime) -> None:
    created = [start(jobs_runtime, "t_sleep", {"n": n})[1] for n in range(5)]
    newest_first = created[::-1]

    pages: list[list[int]] = []
    before: int | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if before is not None:
            params["before"] = before
        page = api.get("/api/jobs", params=params)
        assert page.status_code == 200, page.text
        pages.append(ids(page.json()))
        before = page.json()["next_before"]
        if before is None:
            break
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert [i for page in pages for i in page] == newest_first


def test_list_refuses_bad_filters(api: TestClient) -> None:
    bad_status = api.get("/api/jobs", params={"status": "queued,sleeping"})
    assert bad_status.status_code == 400
    assert error_code(bad_status) == "invalid_input"
    assert api.get("/api/jobs", params={"limit": 0}).status_code == 400
    assert api.get("/api/jobs", params={"limit": 201}).status_code == 400
    for status in JobStatus:
        assert api.get("/api/jobs", params={"status": status.value}).status_code == 200
    assert api.get("/api/jobs", params={"before": "x"}).status_code == 400


# -- GET /api/jobs/{id} ---------------------------------------------------------------------------


def test_job_shows_its_item_counts(api: TestClient, jobs_runtime: Runtime, runner: Runner) -> None:
    task_id, job_id = start(jobs_runtime, "t_items", {"count": 4})
    queued = api.get(f"/api/jobs/{job_id}").json()
    assert queued["status"] == "queued"
    assert queued["items"] == {"pending": 0, "done": 0, "skipped": 0, "failed": 0}

    run_until_idle(runner, timeout=RUN_TIMEOUT)

    response = api.get(f"/api/jobs/{job_id}")
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["id"] == job_id
    assert job["task_id"] == task_id
    assert job["status"] == "completed"
    assert job["attempts"] == 1
    # tests.jobsupport fails the first item and completes the others.
    assert job["items"] == {"pending": 0, "done": 3, "skipped": 0, "failed": 1}
    assert job["progress"] == {"done": 4, "total": 4}
    assert job["result"] == {"items": 4}
    assert job["finished_at"] is not None
    assert jobs_runtime.queue.task_status(task_id)[0] == TaskStatus.COMPLETED


def test_unknown_job_is_404(api: TestClient) -> None:
    for response in (
        api.get("/api/jobs/999999"),
        api.post("/api/jobs/999999/cancel"),
        api.post("/api/jobs/999999/retry"),
    ):
        assert response.status_code == 404
        assert error_code(response) == "job_not_found"


# -- cancel ---------------------------------------------------------------------------------------


def test_cancel_a_queued_job_ends_it_and_its_task(
    api: TestClient, jobs_runtime: Runtime, runner: Runner
) -> None:
    task_id, job_id = start(jobs_runtime, "t_sleep", {"seconds": 5})
    response = api.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "canceled"
    assert response.json()["finished_at"] is not None
    status, newest = jobs_runtime.queue.task_status(task_id)
    assert status == TaskStatus.CANCELED
    assert newest is not None and newest.id == job_id

    # Nothing is left to run, and an ended job cannot be canceled again.
    assert jobs_runtime.queue.claim("someone") is None
    again = api.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert error_code(again) == "conflict"


def test_cancel_a_running_job_asks_it_to_stop(api: TestClient, jobs_runtime: Runtime) -> None:
    _, job_id = start(jobs_runtime, "t_sleep", {"seconds": 5})
    held = jobs_runtime.queue.claim("worker-a")
    assert held is not None and held.id == job_id
    response = api.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "running"
    assert response.json()["cancel_requested"] is True
    assert jobs_runtime.queue.heartbeat([held]) == {job_id: True}


def test_cancel_of_a_running_job_whose_worker_died_ends_canceled(
    api: TestClient, jobs_runtime: Runtime
) -> None:
    """A job canceled while running must not run again (nor end `failed`) because its worker
    died before it could stop."""
    task_id, job_id = start(jobs_runtime, "t_sleep", {"seconds": 5})
    held = jobs_runtime.queue.claim("worker-a")
    assert held is not None and held.id == job_id
    assert api.post(f"/api/jobs/{job_id}/cancel").json()["cancel_requested"] is True
    with jobs_runtime.db.write() as session:  # the worker dies: its heartbeat gets old
        session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    assert jobs_runtime.queue.requeue_stale() == [job_id]

    job = api.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "canceled"
    assert job["finished_at"] is not None
    assert "stopped responding" in job["last_error"]
    assert jobs_runtime.queue.task_status(task_id)[0] == TaskStatus.CANCELED
    with jobs_runtime.db.write() as session:  # no backoff can hide a requeued job
        session.execute(update(Job).values(run_after=utcnow()))
    assert jobs_runtime.queue.claim("worker-b") is None
    # The dead worker coming back cannot change anything either.
    assert jobs_runtime.queue.complete(held, {}).status is None


def test_cancel_a_finished_job_is_409(
    api: TestClient, jobs_runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    _, job_id = start(jobs_runtime, "t_record", {"file": str(tmp_path / "r.txt")})
    run_until_idle(runner, timeout=RUN_TIMEOUT)
    assert api.get(f"/api/jobs/{job_id}").json()["status"] == "completed"
    response = api.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 409
    assert api.get(f"/api/jobs/{job_id}").json()["status"] == "completed"


# -- retry ----------------------------------------------------------------------------------------


def test_retry_a_failed_job_queues_the_same_step_again(
    api: TestClient, jobs_runtime: Runtime, runner: Runner
) -> None:
    task_id, job_id = start(jobs_runtime, "t_fail")
    run_until_idle(runner, timeout=RUN_TIMEOUT)
    failed = api.get(f"/api/jobs/{job_id}").json()
    assert failed["status"] == "failed"
    assert failed["attempts"] == 1 and failed["max_attempts"] == 1
    assert "boom on attempt 1" in failed["last_error"]
    assert jobs_runtime.queue.task_status(task_id)[0] == TaskStatus.FAILED

    response = api.post(f"/api/jobs/{job_id}/retry")
    assert response.status_code == 202, response.text
    new = response.json()
    assert new["id"] != job_id
    assert new["status"] == "queued"
    assert new["type"] == "t_fail"
    assert new["task_id"] == task_id
    assert new["attempts"] == 0
    status, newest = jobs_runtime.queue.task_status(task_id)
    assert status == TaskStatus.RUNNING
    assert newest is not None and newest.id == new["id"]
    listed = api.get("/api/jobs", params={"status": "queued"}).json()
    assert ids(listed) == [new["id"]]

    # The same failed job cannot be retried twice while its task runs again.
    twice = api.post(f"/api/jobs/{job_id}/retry")
    assert twice.status_code == 409
    assert api.get(f"/api/jobs/{job_id}").json()["status"] == "failed"


def test_retry_a_completed_job_is_409(
    api: TestClient, jobs_runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    _, job_id = start(jobs_runtime, "t_record", {"file": str(tmp_path / "r.txt")})
    run_until_idle(runner, timeout=RUN_TIMEOUT)
    response = api.post(f"/api/jobs/{job_id}/retry")
    assert response.status_code == 409
    assert error_code(response) == "conflict"
    assert ids(api.get("/api/jobs").json()) == [job_id]


def test_retry_a_queued_job_is_409(api: TestClient, jobs_runtime: Runtime) -> None:
    _, job_id = start(jobs_runtime, "t_sleep")
    assert api.post(f"/api/jobs/{job_id}/retry").status_code == 409


# -- GET /api/tasks/definitions -------------------------------------------------------------------


def without_handler(app: FastAPI, step_type: str) -> None:
    """Serve `app` as a version that has no handler for `step_type` (yet)."""
    full: Registry = app.state.registry
    reduced = Registry()
    for known in sorted(full.types() - {step_type}):
        handler = full.get(known)
        assert handler is not None
        reduced.register(known, handler)
    app.state.registry = reduced


def test_definitions_list_the_catalogue(admin: TestClient, app: FastAPI) -> None:
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    registry: Registry = app.state.registry
    response = admin.get("/api/tasks/definitions")
    assert response.status_code == 200, response.text
    definitions = response.json()
    assert list(definitions) == list(catalogue)
    for name, body in catalogue.items():
        out = definitions[name]
        assert out["label"] == body["label"], name
        assert out["scope"] == body["scope"], name
        assert out["steps"] == [
            {"type": s["type"], "priority": s["priority"]} for s in body["steps"]
        ], name
        has_handlers = all(registry.get(s["type"]) is not None for s in body["steps"])
        assert out["available"] is has_handlers, name
    assert definitions["maintenance_global"]["available"] is True
    assert definitions["maintenance"]["available"] is True
    assert definitions["project_delete"]["available"] is True
    assert definitions["project_scavenge_global"]["available"] is True
    assert definitions["project_delete"]["steps"][0] == {
        "type": "project_stop_processes",
        "priority": 100,
    }

    # A step without a handler makes every task that uses it unavailable, and only those.
    without_handler(app, "file_removal")
    after = admin.get("/api/tasks/definitions").json()
    for name, body in catalogue.items():
        uses_it = any(s["type"] == "file_removal" for s in body["steps"])
        assert after[name]["available"] is (definitions[name]["available"] and not uses_it), name
    assert after["change_commit"]["available"] is False
    assert after["change_commit_all"]["available"] is False
    assert after["maintenance_global"]["available"] is True


def test_definitions_include_extension_tasks(api: TestClient) -> None:
    definitions = api.get("/api/tasks/definitions").json()
    assert definitions["t_items"] == {
        "label": "items",
        "scope": "global",
        "steps": [{"type": "t_items", "priority": 50}],
        "available": True,
    }
    assert definitions["t_unknown"]["available"] is False  # its step has no handler


# -- POST /api/projects/{folder}/tasks ------------------------------------------------------------


def test_start_a_project_task(admin: TestClient, runtime: Runtime) -> None:
    project = create_project(admin, "Maintained")
    response = admin.post(
        f"/api/projects/{project['folder']}/tasks", json={"task_type": "maintenance"}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) >= {"task_id", "job_id"}
    assert body["task_type"] == "maintenance"
    job = admin.get(f"/api/jobs/{body['job_id']}").json()
    assert job["status"] == "queued"
    assert job["type"] == "trash_maintenance"  # the task's first step
    assert job["project_id"] == project["id"]
    assert job["task_id"] == body["task_id"]
    assert job["priority"] == 100


def test_start_project_task_refusals(admin: TestClient, app: FastAPI, runtime: Runtime) -> None:
    project = create_project(admin, "Refusals")
    url = f"/api/projects/{project['folder']}/tasks"

    unknown = admin.post(url, json={"task_type": "no_such_task"})
    assert unknown.status_code == 400
    assert error_code(unknown) == "invalid_input"
    for not_here in ("project_delete", "maintenance_global", "project_scavenge_global"):
        response = admin.post(url, json={"task_type": not_here})
        assert response.status_code == 400, (not_here, response.text)
    without_handler(app, "file_removal")  # as in a version without that step
    unavailable = admin.post(url, json={"task_type": "change_commit"})
    assert unavailable.status_code == 409
    assert "file_removal" in unavailable.json()["error"]["message"]
    no_items = admin.post(url, json={"task_type": "generate_derivatives"})
    assert no_items.status_code == 400
    empty_items = admin.post(url, json={"task_type": "generate_derivatives", "items": []})
    assert empty_items.status_code == 400
    missing_body = admin.post(url, json={})
    assert missing_body.status_code == 400
    gone = admin.post("/api/projects/No Such Folder/tasks", json={"task_type": "maintenance"})
    assert gone.status_code == 404

    # None of these queued anything, and the project still exists.
    assert admin.get("/api/jobs").json()["items"] == []
    assert admin.get(f"/api/projects/{project['folder']}").status_code == 200


def test_start_a_photo_set_task_for_photos_of_the_project(
    admin: TestClient, runtime: Runtime
) -> None:
    project = create_project(admin, "With Photos")
    other = create_project(admin, "Someone Else")
    mine = [add_photo(runtime, project["id"], f"DSC000{n}") for n in (1, 2)]
    theirs = add_photo(runtime, other["id"], "DSC0009")
    url = f"/api/projects/{project['folder']}/tasks"

    foreign = admin.post(
        url,
        json={
            "task_type": "generate_derivatives",
            "items": [{"photo_id": mine[0]}, {"photo_id": theirs}],
        },
    )
    assert foreign.status_code == 400
    assert admin.get("/api/jobs").json()["items"] == []

    items = [{"photo_id": mine[1]}, {"photo_id": mine[0]}, {"photo_id": mine[1]}]
    response = admin.post(
        url, json={"task_type": "generate_derivatives", "items": items, "force": True}
    )
    assert response.status_code == 202, response.text
    with runtime.db.read() as session:
        job = session.get(Job, response.json()["job_id"])
        assert job is not None
        assert job.payload == {"photo_ids": sorted(mine), "force": True}
        assert job.project_id == project["id"]
        assert job.scope == "photo_set"


# -- POST /api/maintenance/run --------------------------------------------------------------------


def test_run_maintenance_now_is_deduplicated_while_queued(
    admin: TestClient, runtime: Runtime
) -> None:
    first = admin.post("/api/maintenance/run", json={})
    assert first.status_code == 202, first.text
    assert first.json()["task_type"] == "maintenance_global"
    second = admin.post("/api/maintenance/run", json={"task_type": "maintenance_global"})
    assert second.status_code == 202
    assert second.json() == first.json()
    assert len(admin.get("/api/jobs").json()["items"]) == 1

    # While it runs, asking again is answered with the running one: one run at a time.
    held = runtime.queue.claim("worker-a")
    assert held is not None and held.id == first.json()["job_id"]
    third = admin.post("/api/maintenance/run", json={})
    assert third.status_code == 202
    assert third.json() == first.json()
    assert len(admin.get("/api/jobs").json()["items"]) == 1


def test_run_project_maintenance_now(admin: TestClient, runtime: Runtime) -> None:
    project = create_project(admin, "Maintain Me")

    without = admin.post("/api/maintenance/run", json={"task_type": "maintenance"})
    assert without.status_code == 400
    assert error_code(without) == "invalid_input"

    response = admin.post(
        "/api/maintenance/run", json={"task_type": "maintenance", "project": project["folder"]}
    )
    assert response.status_code == 202, response.text
    job = admin.get(f"/api/jobs/{response.json()['job_id']}").json()
    assert job["project_id"] == project["id"]
    assert job["type"] == "trash_maintenance"
    again = admin.post(
        "/api/maintenance/run", json={"task_type": "maintenance", "project": project["folder"]}
    )
    assert again.json()["job_id"] == response.json()["job_id"]

    global_with_project = admin.post(
        "/api/maintenance/run",
        json={"task_type": "maintenance_global", "project": project["folder"]},
    )
    assert global_with_project.status_code == 400
    unknown_project = admin.post(
        "/api/maintenance/run", json={"task_type": "maintenance", "project": "Nope"}
    )
    assert unknown_project.status_code == 404


def test_run_maintenance_refuses_other_tasks(api: TestClient) -> None:
    for task_type in ("t_record", "change_commit", "project_delete", "no_such_task"):
        response = api.post("/api/maintenance/run", json={"task_type": task_type})
        assert response.status_code == 400, (task_type, response.text)
        assert error_code(response) == "invalid_input"
    assert api.get("/api/jobs").json()["items"] == []


def test_job_routes_need_login(client: TestClient) -> None:
    for method, url in (
        ("GET", "/api/jobs"),
        ("GET", "/api/jobs/1"),
        ("POST", "/api/jobs/1/cancel"),
        ("POST", "/api/jobs/1/retry"),
        ("GET", "/api/tasks/definitions"),
        ("POST", "/api/maintenance/run"),
    ):
        response = client.request(method, url)
        assert response.status_code == 401, (method, url)
