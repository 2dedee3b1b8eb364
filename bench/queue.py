"""Job queue throughput: enqueue, then claim + complete, of empty jobs, on SQLite and PostgreSQL.

    python bench/queue.py [--jobs 2000] [--batch 50] [--threads 1,2] [--postgres-url URL]

Each run gets a fresh, migrated database (SQLite: a file in a temporary data folder; PostgreSQL: a
database created on the given server and dropped afterwards). Enqueueing starts single-step tasks,
`--batch` per transaction (an ingest queues many at once; `--batch 1` is one per request, as the
API does). Then 1 or 2 worker threads each loop
`queue.claim(name)` -> `queue.complete(job, {})` until nothing is left; every job must be completed
exactly once. PostgreSQL is skipped, with a note, when the server cannot be reached.
"""

import sys
from pathlib import Path

# `python bench/queue.py` puts bench/ first on the path, where this file would shadow the standard
# library's `queue` module for everything imported below.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from contactsheet.config import PipelineSettings
from contactsheet.db import Database
from contactsheet.db.enums import JobStatus
from contactsheet.db.migrate import upgrade
from contactsheet.db.tables import Job
from contactsheet.jobs.queue import JobQueue
from contactsheet.jobs.tasks import parse_catalogue

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CATALOGUE = {
    "bench": {
        "label": "empty job",
        "scope": "global",
        "steps": [{"type": "bench_empty", "priority": 50}],
    }
}


@dataclass(frozen=True)
class Result:
    engine: str
    threads: int
    jobs: int
    enqueue_seconds: float
    work_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.enqueue_seconds + self.work_seconds


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cs-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'db' / 'user_0.sqlite'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"cs_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(server_url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(server_url), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def postgres_reachable(server_url: str) -> str | None:
    """None when the server answers; else why not."""
    try:
        with psycopg.connect(_conninfo(server_url), connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def run_once(engine: str, url: str, jobs: int, threads: int, batch: int) -> Result:
    db = Database(url)
    try:
        upgrade(db)
        queue = JobQueue(db, PipelineSettings(), parse_catalogue(CATALOGUE), "user_0")

        started = time.perf_counter()
        for first in range(0, jobs, batch):
            with db.write() as session:
                for _ in range(min(batch, jobs - first)):
                    queue.start_task(session, "bench")
        enqueued = time.perf_counter()

        done = [0] * threads
        errors: list[BaseException] = []

        def work(index: int) -> None:
            name = f"bench-{index}"
            try:
                while (job := queue.claim(name)) is not None:
                    outcome = queue.complete(job, {})
                    if outcome.status != JobStatus.COMPLETED:
                        raise RuntimeError(f"job {job.id} ended {outcome.status}")
                    done[index] += 1
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(600)
        finished = time.perf_counter()
        if any(worker.is_alive() for worker in workers):
            raise TimeoutError("workers still running after 600 s")
        if errors:
            raise errors[0]

        with db.read() as session:
            completed = session.scalar(
                select(func.count()).where(Job.status == JobStatus.COMPLETED)
            )
        if sum(done) != jobs or completed != jobs:
            raise AssertionError(f"{jobs} jobs, {sum(done)} claimed, {completed} completed")
        return Result(engine, threads, jobs, enqueued - started, finished - enqueued)
    finally:
        db.dispose()


def table(results: list[Result]) -> str:
    header = (
        "engine",
        "threads",
        "jobs",
        "enqueue s",
        "enqueue jobs/s",
        "claim+complete s",
        "claim+complete jobs/s",
        "total s",
        "total jobs/s",
    )
    rows = [
        (
            r.engine,
            str(r.threads),
            str(r.jobs),
            f"{r.enqueue_seconds:.2f}",
            f"{r.jobs / r.enqueue_seconds:.0f}",
            f"{r.work_seconds:.2f}",
            f"{r.jobs / r.work_seconds:.0f}",
            f"{r.total_seconds:.2f}",
            f"{r.jobs / r.total_seconds:.0f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return " | ".join([first, *rest])

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per run (default 2000)")
    parser.add_argument(
        "--threads", default="1,2", help="worker thread counts, comma list (default 1,2)"
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help=f"a PostgreSQL server to create a scratch database on (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--batch", type=int, default=50, help="tasks started per transaction (default 50)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.batch < 1:
        parser.error("--jobs and --batch must be at least 1")
    thread_counts = [int(t) for t in args.threads.split(",") if t.strip()]

    results: list[Result] = []
    notes: list[str] = []
    for threads in thread_counts:
        with sqlite_database() as url:
            results.append(run_once("sqlite", url, args.jobs, threads, args.batch))
    why_not = postgres_reachable(args.postgres_url)
    if why_not is None:
        for threads in thread_counts:
            with postgres_database(args.postgres_url) as url:
                results.append(run_once("postgresql", url, args.jobs, threads, args.batch))
    else:
        shown = make_url(args.postgres_url).render_as_string(hide_password=True)
        notes.append(f"postgresql skipped: {shown} is unreachable ({why_not})")

    print(table(results))
    print(
        f"\nenqueue: {args.batch} task(s) (one job each) per transaction; claim+complete: each "
        "thread loops claim -> complete (two transactions per job) until the queue is empty."
    )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
