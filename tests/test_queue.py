"""The queue's rules on real databases: transactions, claim order, retries, cancel, chaining."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from contactsheet.catalog.projects import create_project
from contactsheet.clock import utcnow
from contactsheet.config import Settings
from contactsheet.db.enums import JobStatus, TaskStatus
from contactsheet.db.tables import Event, Job, JobItem, Task
from contactsheet.handlers import default_registry
from contactsheet.runtime import Runtime, open_runtime
from contactsheet.workers.context import JobContext, JobLost
from contactsheet.workers.runner import Runner, run_until_idle
from tests.pipelinesupport import job, pipeline_settings, start, wait_for


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """The shared `runtime` fixture, with a pipeline fast enough to test leases and retries."""
    return pipeline_settings(data_dir, database_url)


@pytest.fixture
def runner(runtime: Runtime) -> Runner:
    """A runner whose jobs the test drives on its own thread (no background slots)."""
    return Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_enqueue_rolls_back_with_the_callers_transaction(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), runtime.db.write() as session:
        runtime.queue.start_task(session, "t_record", payload={"file": str(tmp_path / "x")})
        raise RuntimeError("the caller's change failed")
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_claim_takes_highest_priority_then_oldest(runtime: Runtime, tmp_path: Path) -> None:
    payload = {"file": str(tmp_path / "x")}
    low = start(runtime, "t_record", **payload)
    high_old = start(runtime, "t_record_high", **payload)
    high_new = start(runtime, "t_record_high", **payload)
    order = [runtime.queue.claim("w").id for _ in range(3)]  # type: ignore[union-attr]
    assert order == [high_old.id, high_new.id, low.id]
    assert runtime.queue.claim("w") is None


def test_priority_floor_leaves_normal_jobs_alone(runtime: Runtime, tmp_path: Path) -> None:
    start(runtime, "t_record", file=str(tmp_path / "x"))
    assert runtime.queue.claim("priority-slot", min_priority=90) is None
    assert runtime.queue.claim("general-slot") is not None


def test_chained_steps_run_in_order_and_complete_the_task(
    runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    record = tmp_path / "record.txt"
    first = start(runtime, "t_chain", file=str(record))
    run_until_idle(runner)
    assert [line[1] for line in _lines(record)] == ["0", "1", "2"]
    status, last = runtime.queue.task_status(first.task_id)  # type: ignore[arg-type]
    assert status == TaskStatus.COMPLETED
    assert last is not None and last.step_index == 2 and last.priority == 70


def test_failed_step_stops_its_task(runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings.pipeline.max_attempts = 1
    runner = Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))
    record = tmp_path / "record.txt"
    first = start(runtime, "t_chain_failing", file=str(record))
    run_until_idle(runner)
    assert len(_lines(record)) == 1
    status, last = runtime.queue.task_status(first.task_id)  # type: ignore[arg-type]
    assert status == TaskStatus.FAILED
    assert last is not None and last.type == "t_fail" and last.status == JobStatus.FAILED
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).where(Job.task_id == first.task_id)) == 2


def test_retries_back_off_then_fail_keeping_the_last_error(
    runtime: Runtime, runner: Runner
) -> None:
    queued = start(runtime, "t_fail")
    held = runtime.queue.claim("w")
    assert held is not None
    runner.run_one(held)
    after_first = job(runtime, queued.id)
    assert after_first.status == JobStatus.QUEUED
    assert after_first.attempts == 1
    assert after_first.last_error == "RuntimeError: boom on attempt 1"
    assert after_first.run_after > utcnow()
    assert runtime.queue.claim("w") is None, "claimable before its backoff ended"
    for attempt in (2, 3):
        held = wait_for(lambda: runtime.queue.claim("w"), timeout=5)
        assert held.attempt == attempt
        runner.run_one(held)
    final = job(runtime, queued.id)
    assert final.status == JobStatus.FAILED
    assert final.attempts == 3
    assert final.last_error == "RuntimeError: boom on attempt 3"
    assert runtime.queue.task_status(queued.task_id)[0] == TaskStatus.FAILED  # type: ignore[arg-type]


def test_backoff_grows_exponentially_and_is_capped(runtime: Runtime) -> None:
    runtime.queue.config.backoff_base_seconds = 5
    runtime.queue.config.backoff_max_seconds = 30
    assert [runtime.queue.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [
        5,
        10,
        20,
        30,
        30,
    ]


def test_unknown_step_type_fails_at_once_with_a_clear_error(
    runtime: Runtime, runner: Runner
) -> None:
    queued = start(runtime, "t_unknown")
    run_until_idle(runner)
    failed = job(runtime, queued.id)
    assert failed.status == JobStatus.FAILED
    assert failed.attempts == 1
    assert failed.last_error == "no handler for step type 't_nobody'"


def test_cancel_queued_job_cancels_its_task(runtime: Runtime, tmp_path: Path) -> None:
    queued = start(runtime, "t_chain", file=str(tmp_path / "x"))
    runtime.queue.request_cancel(queued.id)
    assert job(runtime, queued.id).status == JobStatus.CANCELED
    assert runtime.queue.claim("w") is None
    assert runtime.queue.task_status(queued.task_id)[0] == TaskStatus.CANCELED  # type: ignore[arg-type]


def test_completing_a_canceled_job_keeps_it_canceled(runtime: Runtime, tmp_path: Path) -> None:
    queued = start(runtime, "t_chain", file=str(tmp_path / "x"))
    held = runtime.queue.claim("w")
    assert held is not None
    runtime.queue.request_cancel(queued.id)
    outcome = runtime.queue.complete(held, {"done": True})
    assert outcome.status == JobStatus.CANCELED
    assert job(runtime, queued.id).status == JobStatus.CANCELED
    assert runtime.queue.claim("w") is None, "the next step was queued after a cancel"


def test_running_job_stops_between_items_when_canceled(runtime: Runtime) -> None:
    runner = Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))
    runner.start()
    try:
        queued = start(runtime, "t_sleep", seconds=30)
        wait_for(lambda: job(runtime, queued.id).status == JobStatus.RUNNING)
        runtime.queue.request_cancel(queued.id)
        ended = wait_for(
            lambda: (j := job(runtime, queued.id)).status in (JobStatus.CANCELED,) and j,
            timeout=5,
        )
        assert ended.finished_at is not None
    finally:
        runner.stop()


def test_a_worker_presumed_dead_cannot_overwrite_the_new_holder(runtime: Runtime) -> None:
    queued = start(runtime, "t_sleep", seconds=0)
    zombie = runtime.queue.claim("zombie")
    assert zombie is not None
    with runtime.db.write() as session:
        session.execute(
            update(Job)
            .values(heartbeat_at=utcnow() - timedelta(hours=1))
            .where(Job.id == zombie.id)
        )
    assert runtime.queue.requeue_stale() == [queued.id]
    requeued = job(runtime, queued.id)
    assert requeued.status == JobStatus.QUEUED and requeued.attempts == 1
    assert "stopped responding" in (requeued.last_error or "")
    with runtime.db.write() as session:  # skip the backoff
        session.execute(update(Job).values(run_after=utcnow()).where(Job.id == queued.id))
    survivor = runtime.queue.claim("survivor")
    assert survivor is not None and survivor.attempt == 2
    assert runtime.queue.complete(zombie, {"from": "zombie"}).status is None
    assert runtime.queue.complete(survivor, {"from": "survivor"}).status == JobStatus.COMPLETED
    assert job(runtime, queued.id).result == {"from": "survivor"}


def test_stale_jobs_exhaust_their_attempts(runtime: Runtime) -> None:
    runtime.queue.config.max_attempts = 1
    queued = start(runtime, "t_sleep", seconds=0)
    assert runtime.queue.claim("dead") is not None
    with runtime.db.write() as session:
        session.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    runtime.queue.requeue_stale()
    assert job(runtime, queued.id).status == JobStatus.FAILED


def test_identical_automatic_tasks_are_deduplicated_while_queued(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        first = runtime.queue.start_task(session, "folder_discovery", dedup=True)
        again = runtime.queue.start_task(session, "folder_discovery", dedup=True)
    assert again.id == first.id
    held = runtime.queue.claim("w")
    assert held is not None and held.id == first.id
    with runtime.db.write() as session:
        third = runtime.queue.start_task(session, "folder_discovery", dedup=True)
    assert third.id != first.id, "a running job must not swallow the next run"


def test_a_task_of_an_exclusive_group_answers_with_the_one_running(runtime: Runtime) -> None:
    """Maintenance runs one at a time: the global run and a project's are one group."""
    with runtime.db.write() as session:
        first = runtime.queue.start_task(session, "maintenance_global")
    held = runtime.queue.claim("w")
    assert held is not None and held.id == first.id
    project = create_project(runtime.db, runtime.paths, runtime.tenant, "Shoot")
    with runtime.db.write() as session:
        again = runtime.queue.start_task(session, "maintenance_global", origin="schedule")
        of_project = runtime.queue.start_task(session, "maintenance", project_id=project.id)
    assert again.id == first.id and of_project.id == first.id
    # Its next step is the running task's current job; once the task ends, a new run starts.
    runtime.queue.complete(held, {"done": True})
    with runtime.db.write() as session:
        current = runtime.queue.start_task(session, "maintenance_global")
    assert current.id != first.id and current.task_id == first.task_id and current.step_index == 1
    runtime.queue.request_cancel(current.id)
    with runtime.db.write() as session:
        fresh = runtime.queue.start_task(session, "maintenance_global")
    assert fresh.task_id != first.task_id


def test_release_on_shutdown_does_not_count_the_attempt(runtime: Runtime) -> None:
    queued = start(runtime, "t_sleep", seconds=30)
    runner = Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))
    runner.start()
    wait_for(lambda: job(runtime, queued.id).status == JobStatus.RUNNING)
    runner.stop(timeout=10)
    released = job(runtime, queued.id)
    assert released.status == JobStatus.QUEUED
    assert released.attempts == 0


def test_items_report_progress_and_per_item_errors(runtime: Runtime, runner: Runner) -> None:
    queued = start(runtime, "t_items", count=6)
    run_until_idle(runner)
    done, items = runtime.queue.get(queued.id)
    assert done.status == JobStatus.COMPLETED
    assert (done.progress_done, done.progress_total) == (6, 6)
    assert items["done"] == 5 and items["failed"] == 1 and items["pending"] == 0


def test_retention_prunes_only_old_finished_tasks(
    runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    old = start(runtime, "t_record", file=str(tmp_path / "x"))
    run_until_idle(runner)
    with runtime.db.write() as session:
        session.execute(
            update(Task)
            .values(finished_at=utcnow() - timedelta(days=30))
            .where(Task.id == old.task_id)
        )
    recent = start(runtime, "t_record", file=str(tmp_path / "x"))
    run_until_idle(runner)
    pending = start(runtime, "t_record", file=str(tmp_path / "x"))
    assert runtime.queue.prune_finished(timedelta(days=14)) == 1
    with runtime.db.read() as session:
        remaining = set(session.scalars(select(Job.id)))
    assert old.id not in remaining
    assert {recent.id, pending.id} <= remaining


def test_priority_lane_starts_urgent_work_while_the_general_slot_is_busy(
    data_dir: Path, database_url: str, tmp_path: Path
) -> None:
    runtime = open_runtime(
        pipeline_settings(data_dir, database_url, max_parallel_jobs=1, priority_lane_slots=1)
    )
    runner = Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))
    runner.start()
    try:
        long_job = start(runtime, "t_sleep", seconds=20)
        wait_for(lambda: job(runtime, long_job.id).status == JobStatus.RUNNING)
        normal = start(runtime, "t_record", file=str(tmp_path / "normal"))
        queued_at = time.monotonic()
        urgent = start(runtime, "t_record_high", file=str(tmp_path / "urgent"))
        wait_for(lambda: job(runtime, urgent.id).status == JobStatus.COMPLETED, timeout=5)
        assert time.monotonic() - queued_at < 2.0
        assert job(runtime, long_job.id).status == JobStatus.RUNNING
        assert job(runtime, normal.id).status == JobStatus.QUEUED, "the priority lane took it"
    finally:
        runner.stop(timeout=10)
        runtime.close()


def _make_stale(runtime: Runtime, job_id: int) -> None:
    with runtime.db.write() as session:
        session.execute(
            update(Job).values(heartbeat_at=utcnow() - timedelta(hours=1)).where(Job.id == job_id)
        )


def test_a_stale_requeue_waits_out_the_configured_backoff(runtime: Runtime) -> None:
    runtime.queue.config.backoff_base_seconds = 40
    runtime.queue.config.backoff_max_seconds = 60
    queued = start(runtime, "t_sleep", seconds=0)
    waits = []
    for attempt in (1, 2):
        held = runtime.queue.claim("dead")
        assert held is not None and held.attempt == attempt
        _make_stale(runtime, queued.id)
        before = utcnow()
        assert runtime.queue.requeue_stale() == [queued.id]
        after = utcnow()
        requeued = job(runtime, queued.id)
        assert requeued.status == JobStatus.QUEUED and requeued.attempts == attempt
        waits.append((requeued.run_after - before, requeued.run_after - after))
        assert runtime.queue.claim("other") is None, "claimable before its backoff ended"
        with runtime.db.write() as session:  # skip the wait, as if it had passed
            session.execute(update(Job).values(run_after=utcnow()).where(Job.id == queued.id))
    # base * 2^(attempt - 1): 40 s after the first missed lease, then 80 s capped at 60 s.
    for (longest, shortest), expected in zip(waits, (40, 60), strict=True):
        assert shortest <= timedelta(seconds=expected) <= longest, (expected, waits)


def test_a_job_handed_back_on_shutdown_resumes_without_redoing_its_items(
    runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    record = tmp_path / "processed.txt"
    queued = start(runtime, "t_resumable", count=40, delay=0.05, file=str(record))
    background = Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))
    background.start()
    try:
        wait_for(lambda: len(_lines(record)) >= 5, timeout=20)
    finally:
        background.stop(timeout=10)
    released, counts = runtime.queue.get(queued.id)
    assert released.status == JobStatus.QUEUED and released.attempts == 0
    first_run = counts["done"]
    assert 5 <= first_run < 40, counts
    assert (released.progress_done, released.progress_total) == (first_run, 40)
    with runtime.db.read() as session:
        finished_before = dict(
            session.execute(
                select(JobItem.id, JobItem.updated_at).where(
                    JobItem.job_id == queued.id, JobItem.status == "done"
                )
            ).all()
        )

    run_until_idle(runner)

    done, counts = runtime.queue.get(queued.id)
    assert done.status == JobStatus.COMPLETED and done.attempts == 1
    assert counts == {"pending": 0, "done": 40, "skipped": 0, "failed": 0}
    assert (done.progress_done, done.progress_total) == (40, 40)
    assert done.result == {"processed": 40 - first_run}
    names = [line[0] for line in _lines(record)]
    assert sorted(names) == sorted(f"item-{i}" for i in range(40)), "an item ran twice or never"
    with runtime.db.read() as session:
        for item_id, updated_at in finished_before.items():
            assert session.get_one(JobItem, item_id).updated_at == updated_at


def test_a_retry_after_a_failure_records_its_items_afresh(
    runtime: Runtime, runner: Runner, tmp_path: Path
) -> None:
    queued = start(runtime, "t_resumable", count=3, file=str(tmp_path / "x"))
    held = runtime.queue.claim("dead")
    assert held is not None
    context = JobContext(held, runtime, runtime.queue)
    first = context.add_items([(None, "item-0"), (None, "item-1"), (None, "item-2")])
    context.item_done(first[0])
    _make_stale(runtime, queued.id)
    runtime.queue.requeue_stale()
    with runtime.db.write() as session:
        session.execute(update(Job).values(run_after=utcnow()).where(Job.id == queued.id))
    run_until_idle(runner)
    done, counts = runtime.queue.get(queued.id)
    assert done.status == JobStatus.COMPLETED and done.result == {"processed": 3}
    assert counts["done"] == 3 and (done.progress_done, done.progress_total) == (3, 3)


def test_a_handler_that_lost_its_lease_stops_at_its_next_item(runtime: Runtime) -> None:
    queued = start(runtime, "t_items", count=3)
    held = runtime.queue.claim("paused")
    assert held is not None
    context = JobContext(held, runtime, runtime.queue)
    ids = context.add_items([(None, "a"), (None, "b"), (None, "c")])
    context.item_done(ids[0])
    _make_stale(runtime, queued.id)  # the worker was paused longer than the lease lasts
    assert runtime.queue.requeue_stale() == [queued.id]
    with runtime.db.read() as session:
        before = session.get_one(Job, queued.id)
        events = session.scalar(select(func.count()).select_from(Event))
        items = session.execute(select(JobItem.id, JobItem.status, JobItem.updated_at)).all()
    with pytest.raises(JobLost):
        context.item_done(ids[1])
    assert context.lost.is_set()
    with pytest.raises(JobLost):
        context.check_canceled()
    with pytest.raises(JobLost):
        context.add_items([(None, "d")])
    with runtime.db.read() as session:
        after = session.get_one(Job, queued.id)
        assert session.scalar(select(func.count()).select_from(Event)) == events
        assert (
            session.execute(select(JobItem.id, JobItem.status, JobItem.updated_at)).all() == items
        )
    assert (after.status, after.attempts, after.progress_done, after.progress_total) == (
        before.status,
        before.attempts,
        before.progress_done,
        before.progress_total,
    )
