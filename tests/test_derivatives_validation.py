"""`cache_validation` (docs/derivatives.md): records are compared with the disk, what is gone is
marked `missing`, records made with other parameters are dropped, one generation is queued for every
photo that needs it, and a second run right after finds nothing to do. A photo whose source cannot
be decoded is not re-queued while the source is unchanged, and is once it changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete

from contactsheet.config import Settings
from contactsheet.db.tables import Derivative, Job
from contactsheet.runtime import Runtime, open_runtime
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    derivative_file,
    distinct_jpegs,
    jobs,
    jpeg_bytes,
    photo_ids,
    records,
    run_jobs,
    run_jobs_through,
    statuses,
    tasks,
    thumbnail,
    unreadable_jpeg_bytes,
    upload,
)

FILES = distinct_jpegs(6, 320, 240)
NAMES = [name.rsplit(".", 1)[0] for name, _ in FILES]


def _maintenance(admin: TestClient, **body: Any) -> None:
    response = admin.post("/api/maintenance/run", json=body or {"task_type": "maintenance_global"})
    assert response.status_code == 202, response.text


def _validate(admin: TestClient, runtime: Runtime, **body: Any) -> Job:
    """Start maintenance and run its steps up to and including `cache_validation`."""
    _maintenance(admin, **body)
    job = run_jobs_through(runtime, "cache_validation")
    assert job.status == "completed", job.last_error
    assert job.result is not None
    return job


def _file_stats(runtime: Runtime, folder: str) -> dict[tuple[str, str], tuple[int, int]]:
    stats = {}
    for name in NAMES:
        for kind in KINDS:
            path = derivative_file(runtime, folder, name, kind)
            if path.exists():
                stats[name, kind] = (path.stat().st_ino, path.stat().st_mtime_ns)
    return stats


def test_validation_marks_missing_queues_one_generation_and_then_finds_nothing(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Validate")
    upload(admin, folder, FILES)
    run_jobs(runtime)
    assert_all_generated(runtime, folder, NAMES)
    ids = photo_ids(runtime, folder)

    # By hand: two previews deleted from disk; all records of one photo and the thumbnail
    # record of another deleted from the database.
    for name in NAMES[:2]:
        derivative_file(runtime, folder, name, "preview").unlink()
    with runtime.db.write() as session:
        session.execute(delete(Derivative).where(Derivative.photo_id == ids[NAMES[2]]))
        session.execute(
            delete(Derivative).where(
                Derivative.photo_id == ids[NAMES[3]], Derivative.kind == "thumbnail"
            )
        )
    untouched = {k: v for k, v in _file_stats(runtime, folder).items() if k[0] in NAMES[4:]}

    job = _validate(admin, runtime)
    result = job.result or {}
    assert result["photos"] == 6
    assert result["marked_missing"] == 2
    assert result["stale_dropped"] == 0
    assert result["needing"] == 4

    found = statuses(runtime, folder)
    assert found[NAMES[0]] == found[NAMES[1]] == {"preview": "missing", "thumbnail": "generated"}
    assert found[NAMES[2]] == {}
    assert found[NAMES[3]] == {"preview": "generated"}
    assert found[NAMES[4]] == found[NAMES[5]] == {"preview": "generated", "thumbnail": "generated"}
    listed = {p["basename"]: p for p in admin.get(f"/api/projects/{folder}/photos").json()["items"]}
    assert listed[NAMES[0]]["preview_status"] == "missing"
    assert listed[NAMES[2]]["thumbnail_status"] == "pending"

    [queued] = tasks(runtime, "generate_derivatives")
    assert queued.id == result["enqueued_task_id"]
    assert queued.payload["force"] is False
    assert sorted(queued.payload["photo_ids"]) == sorted(ids[n] for n in NAMES[:4])
    assert len([j for j in jobs(runtime, "generate_derivatives") if j.status == "queued"]) == 1

    run_jobs(runtime)
    assert_all_generated(runtime, folder, NAMES)
    [done] = [j for j in jobs(runtime, "generate_derivatives") if j.task_id == queued.id]
    assert done.status == "completed"
    assert done.result == {"generated": 4, "cache_hits": 0, "failed": 0, "gone": 0}
    after = _file_stats(runtime, folder)
    assert {k: after[k] for k in untouched} == untouched, "good derivatives were left alone"

    again = _validate(admin, runtime)
    assert again.result is not None
    counted = ("photos", "marked_missing", "stale_dropped", "needing")
    assert {k: again.result[k] for k in counted} == {
        "photos": 6,
        "marked_missing": 0,
        "stale_dropped": 0,
        "needing": 0,
    }
    assert again.result["changed"] == {
        "marked_missing": 0,
        "stale_dropped": 0,
        "queued_for_generation": 0,
    }
    run_jobs(runtime)
    assert len(tasks(runtime, "generate_derivatives")) == 1, "nothing more was queued"
    assert all(t.status == "completed" for t in tasks(runtime, "maintenance_global"))


def test_project_maintenance_validates_only_its_project(
    admin: TestClient, runtime: Runtime
) -> None:
    mine, other = create_project(admin, "Mine"), create_project(admin, "Theirs")
    upload(admin, mine, FILES[:2])
    upload(admin, other, FILES[2:4])
    run_jobs(runtime)
    derivative_file(runtime, mine, NAMES[0], "thumbnail").unlink()
    derivative_file(runtime, other, NAMES[2], "thumbnail").unlink()

    job = _validate(admin, runtime, task_type="maintenance", project=mine)
    assert job.result is not None
    assert job.result["photos"] == 2 and job.result["needing"] == 1
    run_jobs(runtime)
    assert derivative_file(runtime, mine, NAMES[0], "thumbnail").is_file()
    assert not derivative_file(runtime, other, NAMES[2], "thumbnail").exists()
    assert statuses(runtime, other)[NAMES[2]]["thumbnail"] == "generated", "not looked at"


def test_changed_quality_drops_stale_records_and_remakes_them(
    admin: TestClient, runtime: Runtime, data_dir: Path, database_url: str
) -> None:
    folder = create_project(admin, "Quality")
    upload(admin, folder, FILES[:3])
    run_jobs(runtime)
    before_stats, before = _file_stats(runtime, folder), records(runtime, folder)
    assert before[NAMES[0]]["thumbnail"].params["quality"] == 80

    # The same library, served with another quality setting.
    changed = open_runtime(
        Settings(
            data=data_dir,
            database_url=database_url,
            processing={"thumbnail_quality": 55, "preview_quality": 55},  # type: ignore[arg-type]
            pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
        )
    )
    try:
        with changed.db.write() as session:
            changed.queue.start_task(session, "maintenance_global", origin="user")
        job = run_jobs_through(changed, "cache_validation")
        assert job.result is not None
        assert job.result["stale_dropped"] == 6 and job.result["needing"] == 3
        assert job.result["marked_missing"] == 0
        assert all(by_kind == {} for by_kind in records(changed, folder).values())
        run_jobs(changed)
        after = records(changed, folder)
        for name in NAMES[:3]:
            for kind in KINDS:
                assert after[name][kind].status == "generated"
                assert after[name][kind].params["quality"] == 55
                assert after[name][kind].params_key != before[name][kind].params_key
        after_stats = _file_stats(changed, folder)
        assert all(after_stats[k] != v for k, v in before_stats.items()), "files remade"

        with changed.db.write() as session:
            changed.queue.start_task(session, "maintenance_global", origin="user")
        again = run_jobs_through(changed, "cache_validation")
        assert again.result is not None and again.result["needing"] == 0
        assert again.result["stale_dropped"] == 0
        run_jobs(changed)
        assert len(tasks(changed, "generate_derivatives")) == 1
    finally:
        changed.close()


def test_failed_photo_is_requeued_only_when_its_source_changes(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Damaged")
    upload(admin, folder, [FILES[0], ("BROKEN.JPG", unreadable_jpeg_bytes(640, 480))])
    run_jobs(runtime)
    assert statuses(runtime, folder)["BROKEN"] == {"thumbnail": "failed", "preview": "failed"}
    broken_id = photo_ids(runtime, folder)["BROKEN"]

    for _ in range(2):  # hour after hour: not re-queued while nothing changed
        job = _validate(admin, runtime)
        assert job.result is not None and job.result["needing"] == 0
        run_jobs(runtime)
        assert tasks(runtime, "generate_derivatives") == []
        assert statuses(runtime, folder)["BROKEN"]["thumbnail"] == "failed"

    # Replaced by another damaged file (cut shorter, so its size differs): tried once more, fails,
    # and is then left alone again.
    source = runtime.paths.project_dir(folder) / "BROKEN.JPG"
    source.write_bytes(unreadable_jpeg_bytes(800, 600)[:-16])
    job = _validate(admin, runtime)
    assert job.result is not None and job.result["needing"] == 1
    run_jobs(runtime)
    assert statuses(runtime, folder)["BROKEN"]["thumbnail"] == "failed"
    assert _validate(admin, runtime).result["needing"] == 0  # type: ignore[index]
    run_jobs(runtime)
    assert len(tasks(runtime, "generate_derivatives")) == 1

    # Replaced by a good JPEG: queued, made, served.
    source.write_bytes(jpeg_bytes(640, 480))
    job = _validate(admin, runtime)
    assert job.result is not None and job.result["needing"] == 1
    latest = tasks(runtime, "generate_derivatives")[-1]
    assert latest.payload["photo_ids"] == [broken_id]
    run_jobs(runtime)
    assert statuses(runtime, folder)["BROKEN"] == {"thumbnail": "generated", "preview": "generated"}
    assert records(runtime, folder)["BROKEN"]["thumbnail"].error is None
    answer = thumbnail(admin, folder, "BROKEN")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/webp"
    assert _validate(admin, runtime).result["needing"] == 0  # type: ignore[index]
