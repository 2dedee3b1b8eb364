"""Periodic tasks: due times persist, runs never overlap, and processes never double a run."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contactsheet.clock import utcnow
from contactsheet.config import Settings
from contactsheet.db.tables import Schedule, Task
from contactsheet.handlers import default_registry
from contactsheet.jobs.scheduler import Periodic, Scheduler, periodic_tasks
from contactsheet.pipeline import Pipeline
from contactsheet.runtime import Runtime, open_runtime
from contactsheet.workers.runner import Runner, run_until_idle
from tests.pipelinesupport import pipeline_settings, wait_for

HOUR = timedelta(hours=1)


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """The shared `runtime` fixture, with a pipeline fast enough to test leases and retries."""
    return pipeline_settings(data_dir, database_url)


def scheduler_for(runtime: Runtime) -> Scheduler:
    return Scheduler(runtime.db, runtime.queue, [Periodic("maintenance_global", HOUR)])


def tasks_started(runtime: Runtime, task_type: str = "maintenance_global") -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).where(Task.type == task_type)) or 0


def finish_everything(runtime: Runtime) -> None:
    run_until_idle(Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline)))


def test_default_schedule_matches_the_spec(runtime: Runtime) -> None:
    intervals = {p.task_type: p.interval for p in periodic_tasks(runtime.settings.pipeline)}
    assert intervals == {
        "maintenance_global": HOUR,
        "project_scavenge_global": HOUR,
        "folder_discovery": timedelta(minutes=5),
    }


def test_a_due_task_starts_once_per_interval(runtime: Runtime) -> None:
    scheduler = scheduler_for(runtime)
    now = utcnow()
    assert scheduler.tick(now) == ["maintenance_global"]
    assert scheduler.tick(now + timedelta(minutes=1)) == []
    finish_everything(runtime)
    assert scheduler.tick(now + HOUR) == ["maintenance_global"]
    assert tasks_started(runtime) == 2


def test_no_new_run_while_the_previous_is_queued_or_running(runtime: Runtime) -> None:
    scheduler = scheduler_for(runtime)
    now = utcnow()
    scheduler.tick(now)
    assert scheduler.tick(now + 3 * HOUR) == [], "the first run is still queued"
    held = runtime.queue.claim("w")
    assert held is not None
    assert scheduler.tick(now + 4 * HOUR) == [], "the first run is still running"
    runtime.queue.complete(held, {})
    finish_everything(runtime)
    assert scheduler.tick(now + 4 * HOUR) == ["maintenance_global"]


def test_last_run_survives_a_restart(data_dir: Path, database_url: str) -> None:
    first = open_runtime(pipeline_settings(data_dir, database_url))
    now = utcnow()
    scheduler_for(first).tick(now)
    finish_everything(first)
    first.close()

    restarted = open_runtime(pipeline_settings(data_dir, database_url))
    try:
        scheduler = scheduler_for(restarted)
        assert scheduler.tick(now + timedelta(minutes=10)) == [], "a restart must not re-run"
        assert scheduler.tick(now + HOUR) == ["maintenance_global"], "nor skip a due run"
        with restarted.db.read() as session:
            row = session.get(Schedule, "maintenance_global")
            assert row is not None and row.last_run_at == now + HOUR
    finally:
        restarted.close()


def test_schedulers_in_several_processes_never_double_a_run(
    data_dir: Path, database_url: str
) -> None:
    runtimes = [open_runtime(pipeline_settings(data_dir, database_url)) for _ in range(4)]
    now = utcnow()
    barrier = threading.Barrier(len(runtimes))
    started: list[list[str]] = []

    def tick(runtime: Runtime) -> None:
        barrier.wait()
        started.append(scheduler_for(runtime).tick(now))

    threads = [threading.Thread(target=tick, args=(r,)) for r in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert sorted(len(s) for s in started) == [0, 0, 0, 1]
        assert tasks_started(runtimes[0]) == 1
    finally:
        for runtime in runtimes:
            runtime.close()


def test_disabled_scheduler_enqueues_nothing(data_dir: Path, database_url: str) -> None:
    runtime = open_runtime(
        pipeline_settings(data_dir, database_url, scheduler_enabled=False, workers_in_serve=True)
    )
    pipeline = Pipeline.from_settings(runtime)
    try:
        assert pipeline.scheduler is None
        pipeline.start()
        pipeline.stop()
        with runtime.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Task)) == 0
    finally:
        runtime.close()


def test_enabled_scheduler_starts_its_tasks_in_the_server(
    data_dir: Path, database_url: str
) -> None:
    runtime = open_runtime(
        pipeline_settings(data_dir, database_url, scheduler_enabled=True, workers_in_serve=False)
    )
    pipeline = Pipeline.from_settings(runtime)
    try:
        assert pipeline.runner is None and pipeline.scheduler is not None
        pipeline.start()
        wait_for(lambda: tasks_started(runtime, "folder_discovery") == 1, timeout=10)
        pipeline.stop()
        assert {
            t: tasks_started(runtime, t) for t in ("maintenance_global", "project_scavenge_global")
        } == {
            "maintenance_global": 1,
            "project_scavenge_global": 1,
        }
    finally:
        runtime.close()
