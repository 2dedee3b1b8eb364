"""Trash: files removed by the app stay restorable for 24 h, purged by when they were trashed."""

from __future__ import annotations

import io
import os
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from contactsheet.clock import utcnow
from contactsheet.db.tables import Photo, TrashEntry
from contactsheet.handlers import default_registry
from contactsheet.runtime import Runtime
from contactsheet.workers.runner import Runner, run_until_idle
from tests import imagefactory


def run_jobs(runtime: Runtime) -> None:
    run_until_idle(Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline)))


def make_project_with_pair(admin: TestClient, runtime: Runtime, name: str) -> tuple[str, int]:
    folder = admin.post("/api/projects", json={"name": name}).json()["folder"]
    jpg = imagefactory.jpeg(runtime.paths.root.parent / f"{name}.jpg", 160, 120).read_bytes()
    dng = imagefactory.dng_with_preview(runtime.paths.root.parent / f"{name}.dng", 400, 266, 300)
    files = [
        ("files", ("K1.JPG", io.BytesIO(jpg))),
        ("files", ("K1.DNG", io.BytesIO(dng.read_bytes()))),
    ]
    body = admin.post(f"/api/projects/{folder}/upload", files=files).json()
    run_jobs(runtime)
    return folder, body["files"][0]["photo_id"]


def commit_without_raw(admin: TestClient, runtime: Runtime, folder: str, photo_id: int) -> None:
    admin.post("/api/photos/keep", json={"items": [{"photo_id": photo_id}], "keep_raw": False})
    assert admin.post(f"/api/projects/{folder}/commit-changes").status_code == 202
    run_jobs(runtime)


def test_committed_file_is_listed_and_restored(admin: TestClient, runtime: Runtime) -> None:
    folder, photo_id = make_project_with_pair(admin, runtime, "Restore")
    project_dir = runtime.paths.project_dir(folder)
    original = (project_dir / "K1.DNG").read_bytes()
    commit_without_raw(admin, runtime, folder, photo_id)
    assert not (project_dir / "K1.DNG").exists()
    listed = admin.get("/api/trash", params={"project": folder}).json()["items"]
    assert [(i["reason"], i["original_path"].endswith("K1.DNG")) for i in listed] == [
        ("commit", True)
    ]
    answer = admin.post("/api/trash/restore", json={"ids": [listed[0]["id"]]}).json()
    assert answer["failed"] == [] and (project_dir / "K1.DNG").read_bytes() == original
    run_jobs(runtime)  # folder_check indexes it again
    with runtime.db.read() as session:
        photo = session.get_one(Photo, photo_id)
        assert photo.raw_available and photo.keep_raw and "K1.DNG" in photo.filenames
    again = admin.post("/api/trash/restore", json={"ids": [listed[0]["id"]]}).json()
    assert again["failed"][0]["error"]["code"] == "conflict"
    assert admin.get("/api/trash").json()["items"] == []


def test_restore_never_overwrites(admin: TestClient, runtime: Runtime) -> None:
    folder, photo_id = make_project_with_pair(admin, runtime, "Occupied")
    commit_without_raw(admin, runtime, folder, photo_id)
    (runtime.paths.project_dir(folder) / "K1.DNG").write_bytes(b"newer file")
    entry = admin.get("/api/trash").json()["items"][0]
    answer = admin.post("/api/trash/restore", json={"ids": [entry["id"]]}).json()
    assert answer["restored"] == [] and "exists again" in answer["failed"][0]["error"]["message"]
    assert (runtime.paths.project_dir(folder) / "K1.DNG").read_bytes() == b"newer file"


def test_purge_counts_from_the_trashing_time_not_the_file_time(
    admin: TestClient, runtime: Runtime
) -> None:
    folder, photo_id = make_project_with_pair(admin, runtime, "Purge")
    commit_without_raw(admin, runtime, folder, photo_id)
    with runtime.db.read() as session:
        entry = session.scalars(select(TrashEntry)).one()
    trashed = runtime.paths.root / entry.trash_path
    os.utime(trashed, (0, 0))  # a very old original, trashed just now
    with runtime.db.write() as session:
        runtime.queue.start_task(session, "maintenance_global")
    run_jobs(runtime)
    assert trashed.exists(), "purged by its modification time"
    with runtime.db.write() as session:
        session.execute(update(TrashEntry).values(trashed_at=utcnow() - timedelta(hours=25)))
        runtime.queue.start_task(session, "maintenance_global")
    run_jobs(runtime)
    assert not trashed.exists()
    with runtime.db.read() as session:
        assert session.scalars(select(TrashEntry)).one().purged_at is not None


def test_a_deleted_project_can_be_restored_within_a_day(
    admin: TestClient, runtime: Runtime
) -> None:
    folder, _photo_id = make_project_with_pair(admin, runtime, "Comeback")
    assert admin.delete(f"/api/projects/{folder}").status_code == 200
    run_jobs(runtime)
    assert admin.get(f"/api/projects/{folder}").status_code == 404
    entry = next(i for i in admin.get("/api/trash").json()["items"] if i["is_project"])
    answer = admin.post("/api/trash/restore", json={"ids": [entry["id"]]}).json()
    assert answer["failed"] == []
    run_jobs(runtime)
    restored = admin.get(f"/api/projects/{folder}").json()
    assert restored["status"] == "active" and restored["photo_count"] == 1
    listing = admin.get(f"/api/projects/{folder}/photos").json()
    assert listing["items"][0]["filenames"] == ["K1.DNG", "K1.JPG"]
    assert admin.get(listing["items"][0]["thumbnail_url"]).status_code == 200
