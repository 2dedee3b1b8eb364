"""A `generate_derivatives` batch under a real worker process: a stop (SIGTERM) ends it between
photos and hands the job back, the next run finishing only what was left; a lost lease (the worker
paused past its heartbeat, the job requeued) ends it at once with nothing more written for the
job; an unexpected error in one photo's pool thread costs that photo only."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from contactsheet.db.enums import ItemStatus, JobStatus
from contactsheet.db.tables import Derivative, Event, Job, JobItem
from contactsheet.jobs.events import EVENT_ORDER_LOCK
from contactsheet.runtime import Runtime
from tests.derivsupport import (
    assert_all_generated,
    create_project,
    derivative_file,
    distinct_jpegs,
    jobs,
    jpeg_series,
    opened_client,
    photo_ids,
    records,
    run_jobs,
    spawn_worker,
    stop_worker,
    upload,
    wait_for,
)
from tests.pipelinesupport import pipeline_settings

COUNT = 60
# One photo takes a noticeable time (about 0.1 s on one libvips thread), the batch several seconds.
WIDTH, HEIGHT = 2400, 1600
ONE_AT_A_TIME = {
    "CONTACTSHEET_PROCESSING__IMAGE_WORKERS": "1",
    "CONTACTSHEET_PROCESSING__VIPS_CONCURRENCY": "1",
}


def _batch(runtime: Runtime) -> Job:
    [batch] = jobs(runtime, "generate_derivatives")
    return batch


def _started_batch(runtime: Runtime) -> int:
    """The id of the batch once the worker has recorded its items."""
    return wait_for(lambda: _items(runtime, _batch(runtime).id) and _batch(runtime).id, 60)  # type: ignore[no-any-return]


def _items(runtime: Runtime, job_id: int) -> dict[int, tuple[str, datetime]]:
    with runtime.db.read() as session:
        rows = session.execute(
            select(JobItem.id, JobItem.status, JobItem.updated_at).where(JobItem.job_id == job_id)
        ).all()
    return {item_id: (str(status), updated_at) for item_id, status, updated_at in rows}


def _finished(runtime: Runtime, job_id: int) -> int:
    return sum(status != ItemStatus.PENDING for status, _ in _items(runtime, job_id).values())


def _derivative_rows(runtime: Runtime) -> dict[tuple[int, str], datetime]:
    with runtime.db.read() as session:
        rows = session.execute(
            select(Derivative.photo_id, Derivative.kind, Derivative.updated_at)
        ).all()
    return {(photo_id, kind): updated_at for photo_id, kind, updated_at in rows}


def _job_events(runtime: Runtime, job_id: int) -> list[tuple[int, str]]:
    with runtime.db.read() as session:
        rows = session.execute(select(Event.id, Event.type, Event.data)).all()
    return [(event_id, type_) for event_id, type_, data in rows if data.get("job_id") == job_id]


def _job_state(runtime: Runtime, job_id: int) -> tuple[Any, ...]:
    job = runtime.queue.get(job_id)[0]
    return (
        job.status,
        job.attempts,
        job.claimed_by,
        job.heartbeat_at,
        job.run_after,
        job.progress_done,
        job.progress_total,
        job.last_error,
        job.result,
    )


def _holds_no_write_lock(runtime: Runtime) -> bool:
    """Whether a requeue could write now: a process frozen inside a write transaction keeps
    SQLite's write lock, or on PostgreSQL the lock that orders events, from everyone."""
    if not runtime.db.is_sqlite:
        with runtime.db.write() as session:
            return bool(session.scalar(select(func.pg_try_advisory_xact_lock(EVENT_ORDER_LOCK))))
    database = make_url(runtime.db.url).database
    assert database
    connection = sqlite3.connect(database, timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def _stall_until_requeued(
    runtime: Runtime, worker: subprocess.Popen[bytes], job_id: int, stale_seconds: float
) -> None:
    """Freeze the worker (SIGSTOP) past its lease until another worker's requeue takes the job;
    a freeze that caught it holding a lock the requeue needs is undone and tried again."""
    for _ in range(20):
        worker.send_signal(signal.SIGSTOP)
        if _holds_no_write_lock(runtime):
            time.sleep(stale_seconds + 0.5)
            if runtime.queue.requeue_stale() == [job_id]:
                return
        worker.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("the worker was never frozen outside a transaction")


def test_sigterm_stops_a_batch_between_photos_and_the_next_run_does_only_the_rest(
    data_dir: Path, database_url: str, tmp_path: Path
) -> None:
    files = jpeg_series(COUNT, WIDTH, HEIGHT)
    names = [name.rsplit(".", 1)[0] for name, _ in files]
    with opened_client(pipeline_settings(data_dir, database_url)) as (runtime, client):
        folder = create_project(client, "Stopped")
        upload(client, folder, files)
        worker = spawn_worker(runtime, tmp_path / "worker.log", ONE_AT_A_TIME)
        try:
            batch_id = _started_batch(runtime)
            wait_for(lambda: _finished(runtime, batch_id) >= 3, timeout=60)
            finished_at_signal = _finished(runtime, batch_id)
            signalled = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
            took = time.monotonic() - signalled
        finally:
            stop_worker(worker)

        released = _batch(runtime)
        assert released.status == JobStatus.QUEUED, released.status
        assert released.attempts == 0, "a stop does not count as an attempt"
        first_run = _items(runtime, batch_id)
        assert len(first_run) == COUNT
        finished = {i: v for i, v in first_run.items() if v[0] != ItemStatus.PENDING}
        # It stopped between photos: the photo in flight finished, no other started.
        assert finished_at_signal <= len(finished) <= finished_at_signal + 2, (
            finished_at_signal,
            len(finished),
        )
        assert took < 10, f"the worker took {took:.1f} s to stop"
        assert (released.progress_done, released.progress_total) == (len(finished), COUNT)
        made = {photo_id for photo_id, _ in _derivative_rows(runtime)}
        assert len(made) == len(finished), "a photo was made without its item being recorded"

        run_jobs(runtime)  # the real runner picks the handed-back job up again

        done = runtime.queue.get(batch_id)[0]
        assert done.status == JobStatus.COMPLETED, done.last_error
        assert done.attempts == 1
        after = _items(runtime, batch_id)
        assert len(after) == COUNT, "the resumed run recorded its items twice"
        assert all(status == ItemStatus.DONE for status, _ in after.values())
        for item_id, state in finished.items():
            assert after[item_id] == state, "an item finished before the stop was done again"
        assert (done.progress_done, done.progress_total) == (COUNT, COUNT)
        assert done.result == {
            "generated": COUNT - len(finished),
            "cache_hits": 0,
            "failed": 0,
            "gone": 0,
        }
        assert_all_generated(runtime, folder, names)


def test_a_lost_lease_stops_the_batch_at_once_and_nothing_more_is_written_for_it(
    data_dir: Path, database_url: str, tmp_path: Path
) -> None:
    files = jpeg_series(COUNT, WIDTH, HEIGHT)
    # The requeued job waits out a long backoff, so no one (this worker included) takes it again
    # while the test watches what the paused worker does once it wakes up.
    settings = pipeline_settings(data_dir, database_url, backoff_base_seconds=600)
    with opened_client(settings) as (runtime, client):
        folder = create_project(client, "Lost")
        upload(client, folder, files)
        worker = spawn_worker(runtime, tmp_path / "worker.log", ONE_AT_A_TIME)
        try:
            batch_id = _started_batch(runtime)
            wait_for(lambda: _finished(runtime, batch_id) >= 3, timeout=60)
            _stall_until_requeued(runtime, worker, batch_id, settings.pipeline.stale_seconds)
            job_before = _job_state(runtime, batch_id)
            assert job_before[0] == JobStatus.QUEUED
            items_before = _items(runtime, batch_id)
            events_before = _job_events(runtime, batch_id)
            derivatives_before = _derivative_rows(runtime)

            worker.send_signal(signal.SIGCONT)
            time.sleep(3)  # an unstopped batch makes about twenty more photos meanwhile
            assert worker.poll() is None, "the worker itself goes on"

            assert _job_state(runtime, batch_id) == job_before
            assert _items(runtime, batch_id) == items_before
            assert _job_events(runtime, batch_id) == events_before
            written_after = {
                photo_id
                for (photo_id, kind), updated in _derivative_rows(runtime).items()
                if derivatives_before.get((photo_id, kind)) != updated
            }
            # The one photo that was rendering when the worker froze may still get its own
            # records; no other photo of the lost job is started.
            assert len(written_after) <= 1, sorted(written_after)
        finally:
            stop_worker(worker)
        log = (tmp_path / "worker.log").read_text()
        assert "job_finished" in log and "status=lost" in log, log[-2000:]


def test_an_unexpected_error_in_one_photos_thread_fails_that_item_and_the_rest_go_on(
    runtime: Runtime, admin: Any
) -> None:
    files = distinct_jpegs(4, 400, 300)
    folder = create_project(admin, "One bad")
    upload(admin, folder, files)
    names = [name.rsplit(".", 1)[0] for name, _ in files]
    broken = names[1]
    # Its thumbnail's place is taken by a folder: writing the file raises IsADirectoryError in
    # the pool thread, an error no image check foresees.
    target = derivative_file(runtime, folder, broken, "thumbnail")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.mkdir()

    run_jobs(runtime)

    batch = _batch(runtime)
    assert batch.status == JobStatus.COMPLETED, batch.last_error
    assert batch.result == {"generated": 3, "cache_hits": 0, "failed": 1, "gone": 0}
    ids = photo_ids(runtime, folder)
    with runtime.db.read() as session:
        items = {
            photo_id: (status, error)
            for photo_id, status, error in session.execute(
                select(JobItem.photo_id, JobItem.status, JobItem.error).where(
                    JobItem.job_id == batch.id
                )
            )
        }
    status, error = items.pop(ids[broken])
    assert status == ItemStatus.FAILED and error and error.startswith("IsADirectoryError"), error
    assert {s for s, _ in items.values()} == {ItemStatus.DONE}
    assert_all_generated(runtime, folder, [n for n in names if n != broken], exact=False)
    assert "thumbnail" not in records(runtime, folder)[broken]
    assert target.is_dir()
