"""Deleting a project end to end (docs/catalog.md): hidden at once, its jobs stopped, its folder
moved out of the library and kept 24 h, its rows deleted, the project row kept archived; and the
purge of deleted folders by `project_scavenge`, which trusts the recorded time, not file times."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from contactsheet.clock import utcnow
from contactsheet.db.enums import JobStatus, ProjectStatus, TaskStatus
from contactsheet.db.tables import Job, Photo, PhotoTag, Project, Tag, TrashEntry
from contactsheet.handlers import default_registry
from contactsheet.library.manifest import Manifest, read_manifest, write_manifest
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from contactsheet.workers.runner import Runner, run_until_idle

RUN_TIMEOUT = 60.0
PHOTO_BYTES = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"


@pytest.fixture
def runner(runtime: Runtime) -> Runner:
    registry = default_registry(runtime.settings.pipeline)
    return Runner(runtime, runtime.queue, registry, name="test-worker")


def create_project(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def fill_project(runtime: Runtime, project: dict[str, Any]) -> None:
    """One file on disk, its photo row, a tag on it."""
    (runtime.paths.project_dir(project["folder"]) / "DSC0001.JPG").write_bytes(PHOTO_BYTES)
    with runtime.db.write() as session:
        photo = Photo(
            tenant=runtime.tenant,
            project_id=project["id"],
            basename="DSC0001",
            basename_key=name_key("DSC0001"),
            filenames=["DSC0001.JPG"],
            jpg_available=True,
            keep_jpg=True,
            file_size=len(PHOTO_BYTES),
        )
        tag = Tag(tenant=runtime.tenant, project_id=project["id"], name="Bride", name_key="bride")
        session.add_all([photo, tag])
        session.flush()
        session.add(PhotoTag(photo_id=photo.id, tag_id=tag.id))


def count(runtime: Runtime, table: Any, project_id: int) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).where(table.project_id == project_id)) or 0


def jobs_of_task(runtime: Runtime, task_id: int) -> list[Job]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Job).where(Job.task_id == task_id).order_by(Job.id)))


def trash_entries(runtime: Runtime, project_id: int) -> list[TrashEntry]:
    with runtime.db.read() as session:
        query = select(TrashEntry).where(TrashEntry.project_id == project_id)
        return list(session.scalars(query.order_by(TrashEntry.id)))


def deleted_folders(runtime: Runtime) -> list[Path]:
    root = runtime.paths.deleted_projects_root
    return sorted(root.iterdir()) if root.is_dir() else []


def delete_and_run(
    admin: TestClient, runtime: Runtime, runner: Runner, project: dict[str, Any]
) -> int:
    response = admin.delete(f"/api/projects/{project['folder']}")
    assert response.status_code == 200, response.text
    task_id = response.json()["task_id"]
    run_until_idle(runner, timeout=RUN_TIMEOUT)
    assert runtime.queue.task_status(task_id)[0] == TaskStatus.COMPLETED
    return int(task_id)


def test_delete_project_end_to_end(admin: TestClient, runtime: Runtime, runner: Runner) -> None:
    project = create_project(admin, "Wedding 2026")
    folder, project_id = project["folder"], project["id"]
    fill_project(runtime, project)
    source = runtime.paths.project_dir(folder)

    # Other work of this project, queued before the deletion: a step below the deletion's
    # priority, and a maintenance task whose first step is as urgent as the deletion's.
    upload = admin.post(
        f"/api/projects/{folder}/tasks",
        json={"task_type": "upload_postprocess"},
    )
    assert upload.status_code == 202, upload.text
    maintenance = admin.post(f"/api/projects/{folder}/tasks", json={"task_type": "maintenance"})
    assert maintenance.status_code == 202, maintenance.text

    response = admin.delete(f"/api/projects/{folder}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == project_id
    assert body["status"] == "archived"
    delete_task = body["task_id"]
    assert isinstance(delete_task, int)

    # Hidden at once, before any job ran.
    assert admin.get(f"/api/projects/{folder}").status_code == 404
    listed = admin.get("/api/projects").json()["items"]
    assert project_id not in [p["id"] for p in listed]
    assert admin.delete(f"/api/projects/{folder}").status_code == 404
    assert source.is_dir()

    run_until_idle(runner, timeout=RUN_TIMEOUT)

    # The deletion's steps all ran, in order.
    status, _ = runtime.queue.task_status(delete_task)
    assert status == TaskStatus.COMPLETED
    steps = jobs_of_task(runtime, delete_task)
    assert [j.type for j in steps] == [
        "project_stop_processes",
        "project_delete_files",
        "project_cleanup_db",
    ]
    assert all(j.status == JobStatus.COMPLETED for j in steps)
    assert steps[2].result == {"photos_deleted": 1, "tags_deleted": 1}

    # The project's other work was stopped: the queued upload step never ran.
    upload_job = admin.get(f"/api/jobs/{upload.json()['job_id']}").json()
    assert upload_job["status"] == "canceled"
    assert upload_job["started_at"] is None
    assert runtime.queue.task_status(upload.json()["task_id"])[0] == TaskStatus.CANCELED
    maintenance_status, maintenance_last = runtime.queue.task_status(maintenance.json()["task_id"])
    assert maintenance_status == TaskStatus.CANCELED
    assert maintenance_last is not None and maintenance_last.status == JobStatus.CANCELED
    stopped = steps[0].result
    assert stopped is not None
    assert upload.json()["job_id"] in stopped["canceled_jobs"]
    assert maintenance_last.id in stopped["canceled_jobs"]
    assert runtime.queue.list_jobs(statuses=[JobStatus.QUEUED, JobStatus.RUNNING]) == []

    # The folder left the library for the deleted-projects area, with its files.
    assert not source.exists()
    assert folder not in {p.name for p in runtime.paths.projects_root.iterdir()}
    [moved] = deleted_folders(runtime)
    assert moved.name.startswith(f"{folder}.{project_id}.")
    assert (moved / "DSC0001.JPG").read_bytes() == PHOTO_BYTES
    manifest = read_manifest(moved / ".project.yaml")
    assert manifest is not None and manifest.id == project_id
    [entry] = trash_entries(runtime, project_id)
    assert entry.reason == "project_delete"
    assert entry.trash_path == str(moved.relative_to(runtime.paths.root))
    assert entry.original_path == str(source.relative_to(runtime.paths.root))
    assert entry.purged_at is None
    assert steps[1].result == {"moved_to": entry.trash_path, "folder_was_present": True}

    # Its rows are gone; the project row stays, archived, for audit.
    assert count(runtime, Photo, project_id) == 0
    assert count(runtime, Tag, project_id) == 0
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(PhotoTag)) == 0
        row = session.get(Project, project_id)
        assert row is not None
        assert row.status == ProjectStatus.ARCHIVED
        assert row.archived_at is not None
        assert row.folder == folder

    # The name and the folder are free again; the new project has its own manifest.
    again = create_project(admin, "Wedding 2026")
    assert again["name"] == "Wedding 2026"
    assert again["folder"] == folder
    assert again["id"] != project_id
    fresh = read_manifest(runtime.paths.manifest_path(folder))
    assert fresh is not None
    assert fresh.id == again["id"]
    assert fresh.name == "Wedding 2026"
    assert not (runtime.paths.project_dir(folder) / "DSC0001.JPG").exists()
    assert admin.get(f"/api/projects/{folder}").json()["id"] == again["id"]


def test_delete_unknown_project_is_404(admin: TestClient) -> None:
    response = admin.delete("/api/projects/No Such Project")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "project_not_found"
    assert admin.get("/api/jobs").json()["items"] == []


def test_delete_files_refuses_a_folder_that_holds_another_project(
    admin: TestClient, runtime: Runtime, runner: Runner
) -> None:
    project = create_project(admin, "Taken Over")
    folder, project_id = project["folder"], project["id"]
    fill_project(runtime, project)
    manifest_path = runtime.paths.manifest_path(folder)
    original = read_manifest(manifest_path)
    assert original is not None
    # The folder now claims to be someone else's project.
    write_manifest(
        manifest_path,
        Manifest(
            id=project_id + 1000,
            name="Somebody Else",
            folder=folder,
            tenant=runtime.tenant,
            created_at=original.created_at,
        ),
    )
    manifest_text = manifest_path.read_text(encoding="utf-8")
    before = sorted(p.name for p in runtime.paths.project_dir(folder).iterdir())

    response = admin.delete(f"/api/projects/{folder}")
    assert response.status_code == 200, response.text
    task_id = response.json()["task_id"]
    run_until_idle(runner, timeout=RUN_TIMEOUT)

    status, last = runtime.queue.task_status(task_id)
    assert status == TaskStatus.FAILED
    assert last is not None
    assert last.type == "project_delete_files"
    assert last.status == JobStatus.FAILED
    assert last.attempts == 1  # refused for good, not retried
    assert last.last_error is not None and str(project_id + 1000) in last.last_error
    assert [j.type for j in jobs_of_task(runtime, task_id)] == [
        "project_stop_processes",
        "project_delete_files",
    ]

    # Untouched: the folder, its files and manifest, the rows; nothing was trashed.
    source = runtime.paths.project_dir(folder)
    assert sorted(p.name for p in source.iterdir()) == before
    assert (source / "DSC0001.JPG").read_bytes() == PHOTO_BYTES
    assert manifest_path.read_text(encoding="utf-8") == manifest_text
    assert deleted_folders(runtime) == []
    assert trash_entries(runtime, project_id) == []
    assert count(runtime, Photo, project_id) == 1


def _age_files(folder: Path, seconds: float) -> None:
    old = time.time() - seconds
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (old, old))


def _run_scavenge(runtime: Runtime, runner: Runner) -> Job:
    with runtime.db.write() as session:
        job = runtime.queue.start_task(session, "project_scavenge_global")
    task_id = job.task_id
    assert task_id is not None
    run_until_idle(runner, timeout=RUN_TIMEOUT)
    status, last = runtime.queue.task_status(task_id)
    assert status == TaskStatus.COMPLETED
    assert last is not None
    return last


def test_scavenge_purges_by_recorded_deletion_time(
    admin: TestClient, runtime: Runtime, runner: Runner
) -> None:
    expired = create_project(admin, "Expired")
    recent = create_project(admin, "Recent")
    for project in (expired, recent):
        fill_project(runtime, project)
        delete_and_run(admin, runtime, runner, project)
    [expired_entry] = trash_entries(runtime, expired["id"])
    [recent_entry] = trash_entries(runtime, recent["id"])
    expired_dir = runtime.paths.root / expired_entry.trash_path
    recent_dir = runtime.paths.root / recent_entry.trash_path
    assert expired_dir.is_dir() and recent_dir.is_dir()

    with runtime.db.write() as session:
        session.execute(
            update(TrashEntry)
            .where(TrashEntry.id == expired_entry.id)
            .values(trashed_at=utcnow() - timedelta(hours=25))
        )
        # Deleted 23 h ago: not yet due, however old its files look.
        session.execute(
            update(TrashEntry)
            .where(TrashEntry.id == recent_entry.id)
            .values(trashed_at=utcnow() - timedelta(hours=23))
        )
    _age_files(recent_dir, seconds=30 * 24 * 3600)

    scavenge = _run_scavenge(runtime, runner)
    assert scavenge.type == "project_scavenge"
    assert scavenge.result is not None
    assert (scavenge.result["folders_moved"], scavenge.result["purged"]) == (0, 1)

    assert not expired_dir.exists()
    assert recent_dir.is_dir()
    assert (recent_dir / "DSC0001.JPG").read_bytes() == PHOTO_BYTES
    [expired_after] = trash_entries(runtime, expired["id"])
    [recent_after] = trash_entries(runtime, recent["id"])
    assert expired_after.purged_at is not None
    assert recent_after.purged_at is None

    # A second run has nothing left to do.
    second = _run_scavenge(runtime, runner).result
    assert second is not None
    assert (second["folders_moved"], second["purged"]) == (0, 0)
    assert recent_dir.is_dir()


def test_scavenge_moves_an_archived_projects_leftover_folder(
    admin: TestClient, runtime: Runtime, runner: Runner
) -> None:
    leftover = create_project(admin, "Leftover")
    stranger = create_project(admin, "Stranger")
    fill_project(runtime, leftover)
    # Archived without its deletion task ever running (a crash, an older version).
    with runtime.db.write() as session:
        for project_id in (leftover["id"], stranger["id"]):
            row = session.get(Project, project_id)
            assert row is not None
            row.status = ProjectStatus.ARCHIVED
            row.archived_at = utcnow()
    # The stranger's folder no longer proves it is that project's: it stays.
    stranger_manifest = runtime.paths.manifest_path(stranger["folder"])
    stranger_manifest.unlink()

    scavenge = _run_scavenge(runtime, runner)
    assert scavenge.result is not None
    assert (scavenge.result["folders_moved"], scavenge.result["purged"]) == (1, 0)

    assert not runtime.paths.project_dir(leftover["folder"]).exists()
    [moved] = deleted_folders(runtime)
    assert (moved / "DSC0001.JPG").read_bytes() == PHOTO_BYTES
    [entry] = trash_entries(runtime, leftover["id"])
    assert entry.reason == "project_scavenge"
    assert runtime.paths.project_dir(stranger["folder"]).is_dir()
    assert trash_entries(runtime, stranger["id"]) == []
