"""A shoot arriving one file per request: its derivative work gathers into the project's waiting
batch, its checks (`upload_reconcile`: manifest_check, folder_check) run once the uploads pause,
and jobs running side by side share the process's one image pool, whose threads run below the
API's."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contactsheet.clock import shifted, utcnow
from contactsheet.config import Settings
from contactsheet.db.enums import JobStatus
from contactsheet.db.tables import Job, Task
from contactsheet.derivatives import steps
from contactsheet.runtime import Runtime, open_runtime
from tests import imagefactory
from tests.ingestsupport import make_project, photos, run_all, runner, store

DELAY = 10.0
LONGEST = 60.0


def _runtime(data_dir: Path, database_url: str, **pipeline: Any) -> Iterator[Runtime]:
    settings = Settings(
        data=data_dir,
        database_url=database_url,
        pipeline={  # type: ignore[arg-type]
            "scheduler_enabled": False,
            "workers_in_serve": False,
            "reconcile_delay_seconds": DELAY,
            "reconcile_longest_seconds": LONGEST,
            **pipeline,
        },
    )
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def batching(data_dir: Path, database_url: str) -> Iterator[Runtime]:
    yield from _runtime(data_dir, database_url)


@pytest.fixture
def small_batches(data_dir: Path, database_url: str) -> Iterator[Runtime]:
    yield from _runtime(data_dir, database_url, batch_photos=2)


def _shoot(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [imagefactory.jpeg(folder / f"DSC{i:04d}.JPG", 320 + i, 240) for i in range(count)]


def _jobs(runtime: Runtime, task_type: str) -> list[Job]:
    with runtime.db.read() as session:
        return list(
            session.scalars(
                select(Job).join(Task, Task.id == Job.task_id).where(Task.type == task_type)
            )
        )


def _upload_one_by_one(runtime: Runtime, project: Any, files: list[Path]) -> list[int]:
    return [store(runtime, project, {path.name: path}).task_id for path in files]  # type: ignore[misc]


def test_a_shoot_sent_file_by_file_is_one_batch_and_one_check_later(
    batching: Runtime, tmp_path: Path
) -> None:
    runtime = batching
    project = make_project(runtime, "Shoot")
    files = _shoot(tmp_path / "card", 6)
    started = utcnow()
    task_ids = _upload_one_by_one(runtime, project, files)

    [batch] = _jobs(runtime, "upload_postprocess")
    assert set(task_ids) == {batch.task_id}, "every upload answered with the batch it joined"
    assert batch.payload["photo_ids"] == sorted(p.id for p in photos(runtime, project.id).values())
    [check] = _jobs(runtime, "upload_reconcile")
    assert check.type == "manifest_check" and check.status == JobStatus.QUEUED
    assert started + timedelta(seconds=DELAY) <= check.run_after
    assert check.run_after <= utcnow() + timedelta(seconds=DELAY)

    run_all(runtime)  # the check is not due yet: only the batch runs
    [batch] = _jobs(runtime, "upload_postprocess")
    assert batch.status == JobStatus.COMPLETED
    assert batch.result == {"generated": 6, "cache_hits": 0, "failed": 0, "gone": 0}
    [check] = _jobs(runtime, "upload_reconcile")
    assert check.status == JobStatus.QUEUED

    # A file copied in by hand meanwhile is indexed by the check once it is due.
    imagefactory.jpeg(runtime.paths.project_dir(project.folder) / "BYHAND.JPG", 200, 150)
    with shifted(timedelta(seconds=DELAY + 1)):
        run_all(runtime)
    steps_run = sorted((j.type, j.status) for j in _jobs(runtime, "upload_reconcile"))
    assert steps_run == [
        ("folder_check", JobStatus.COMPLETED),
        ("manifest_check", JobStatus.COMPLETED),
    ]
    assert "BYHAND" in photos(runtime, project.id)


def test_each_upload_pushes_the_check_back_but_not_past_the_longest_wait(
    batching: Runtime, tmp_path: Path
) -> None:
    runtime = batching
    project = make_project(runtime, "Long shoot")
    files = _shoot(tmp_path / "card", 4)
    store(runtime, project, {files[0].name: files[0]})
    [first] = _jobs(runtime, "upload_reconcile")
    with shifted(timedelta(seconds=DELAY / 2)):
        store(runtime, project, {files[1].name: files[1]})
    [pushed] = _jobs(runtime, "upload_reconcile")
    assert pushed.id == first.id
    assert pushed.run_after >= first.run_after + timedelta(seconds=DELAY / 2 - 1)
    with shifted(timedelta(seconds=LONGEST - 1)):
        store(runtime, project, {files[2].name: files[2]})
    [capped] = _jobs(runtime, "upload_reconcile")
    assert capped.id == first.id
    assert capped.run_after <= first.created_at + timedelta(seconds=LONGEST)


def test_a_batch_a_worker_took_is_left_alone_and_a_full_one_is_not_grown(
    small_batches: Runtime, tmp_path: Path
) -> None:
    runtime = small_batches
    project = make_project(runtime, "Shoot")
    files = _shoot(tmp_path / "card", 5)
    _upload_one_by_one(runtime, project, files[:3])  # 2 photos a batch at most
    assert [len(j.payload["photo_ids"]) for j in _jobs(runtime, "upload_postprocess")] == [2, 1]

    worker = runner(runtime)
    held = runtime.queue.claim(worker.name)
    assert held is not None and held.type == "generate_derivatives"
    taken = [j for j in _jobs(runtime, "upload_postprocess") if j.status == JobStatus.RUNNING]
    _upload_one_by_one(runtime, project, files[3:4])
    after = {j.id: j.payload["photo_ids"] for j in _jobs(runtime, "upload_postprocess")}
    assert after[taken[0].id] == taken[0].payload["photo_ids"], "a running job's photos are fixed"
    worker.run_one(held)
    run_all(runtime)
    done = [j for j in _jobs(runtime, "upload_postprocess")]
    assert all(j.status == JobStatus.COMPLETED for j in done)
    covered = sorted(pid for j in done for pid in j.payload["photo_ids"])
    assert covered == sorted(p.id for p in photos(runtime, project.id).values())


def test_concurrent_uploads_into_one_project_lose_no_photo_from_the_batches(
    batching: Runtime, tmp_path: Path
) -> None:
    runtime = batching
    project = make_project(runtime, "Busy")
    files = _shoot(tmp_path / "card", 12)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda path: store(runtime, project, {path.name: path}), files))
    batches = _jobs(runtime, "upload_postprocess")
    covered = sorted(pid for j in batches for pid in j.payload["photo_ids"])
    assert covered == sorted(p.id for p in photos(runtime, project.id).values())
    assert len(covered) == 12 and len(batches) < 12
    assert len(_jobs(runtime, "upload_reconcile")) == 1
    run_all(runtime)
    assert {j.status for j in _jobs(runtime, "upload_postprocess")} == {JobStatus.COMPLETED}


def test_jobs_side_by_side_share_one_image_pool(
    batching: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two jobs of several photos each, run at once: never more photos render at a time than
    the pool has threads, and every one of them renders on the pool's threads."""
    runtime = batching
    size = steps.pool_size(runtime)
    first, second = make_project(runtime, "One"), make_project(runtime, "Two")
    for project, folder in ((first, "a"), (second, "b")):
        files = _shoot(tmp_path / folder, 4)
        if folder == "b":  # other bytes than the first project's, or they would be skipped
            files = [imagefactory.jpeg(p, 400 + i, 300) for i, p in enumerate(files)]
        store(runtime, project, {p.name: p for p in files})
    real = steps.generate_photo
    lock = threading.Lock()
    now = {"running": 0, "most": 0}
    threads: set[str] = set()
    nice: set[int] = set()

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            now["running"] += 1
            now["most"] = max(now["most"], now["running"])
            threads.add(threading.current_thread().name)
            nice.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                now["running"] -= 1

    monkeypatch.setattr(steps, "generate_photo", counted)
    worker = runner(runtime)
    held = [runtime.queue.claim(worker.name), runtime.queue.claim(worker.name)]
    assert all(h is not None and h.type == "generate_derivatives" for h in held)
    with ThreadPoolExecutor(2) as slots:
        outcomes = list(slots.map(worker.run_one, held))  # type: ignore[arg-type]
    assert all(o.status == JobStatus.COMPLETED for o in outcomes)
    assert now["most"] <= size
    assert steps.image_pool(size) is steps.image_pool(size)
    assert all(name.startswith("derivatives") for name in threads)
    assert len(threads) <= size
    # The image threads give way to requests: they run below this (the caller's) thread.
    assert nice and min(nice) >= os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 10
