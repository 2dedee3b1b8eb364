"""Real worker processes against one database: exactly-once claims and recovery after kill -9."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contactsheet.config import Settings
from contactsheet.db.enums import JobStatus
from contactsheet.db.tables import Job
from contactsheet.runtime import Runtime
from tests.pipelinesupport import (
    FAST_PIPELINE,
    job,
    pipeline_settings,
    spawn_worker,
    start,
    wait_for,
)
from tests.pipelinesupport import stop_worker as stop


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """The shared `runtime` fixture, with a pipeline fast enough to test leases and retries."""
    return pipeline_settings(data_dir, database_url)


def _count(runtime: Runtime, status: JobStatus) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).where(Job.status == status)) or 0


def test_two_worker_processes_run_each_of_500_jobs_exactly_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    record = tmp_path / "record.txt"
    with runtime.db.write() as session:
        for _ in range(500):
            runtime.queue.start_task(session, "t_record", payload={"file": str(record)})
    workers = [spawn_worker(runtime, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_for(lambda: _count(runtime, JobStatus.COMPLETED) == 500, timeout=120, interval=0.2)
    finally:
        for worker in workers:
            stop(worker)
    lines = [line.split() for line in record.read_text().splitlines()]
    runs = Counter(int(line[0]) for line in lines)
    assert len(runs) == 500 and set(runs.values()) == {1}, "a job ran twice or not at all"
    pids = Counter(line[2] for line in lines)
    assert len(pids) == 2, f"both workers should have claimed jobs: {pids}"
    assert _count(runtime, JobStatus.RUNNING) == 0


def test_job_of_a_killed_worker_is_requeued_and_completed_by_another(
    runtime: Runtime, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    queued = start(
        runtime, "t_sleep", first_attempt_seconds=60, seconds=0.2, started_file=str(marker)
    )
    first = spawn_worker(runtime, tmp_path / "first.log")
    try:
        wait_for(marker.exists, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    assert job(runtime, queued.id).status == JobStatus.RUNNING, "nobody noticed yet"
    killed_at = time.monotonic()
    second = spawn_worker(runtime, tmp_path / "second.log")
    try:
        done = wait_for(
            lambda: (j := job(runtime, queued.id)).status == JobStatus.COMPLETED and j,
            timeout=60,
            interval=0.2,
        )
    finally:
        stop(second)
    stale_seconds = FAST_PIPELINE["stale_seconds"]
    assert time.monotonic() - killed_at >= stale_seconds * 0.5
    assert done.attempts == 2, "the crashed attempt must count"
    assert done.result == {"slept": 0.2, "attempt": 2}
    assert "stopped responding" in (done.last_error or "")


def test_sigterm_releases_a_running_job_for_the_next_worker(
    runtime: Runtime, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    queued = start(runtime, "t_sleep", seconds=60, started_file=str(marker))
    worker = spawn_worker(runtime, tmp_path / "worker.log")
    try:
        wait_for(marker.exists, timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        stop(worker)
    released = job(runtime, queued.id)
    assert released.status == JobStatus.QUEUED
    assert released.attempts == 0
