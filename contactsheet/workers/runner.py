"""The runner: worker threads that claim jobs and run their handlers. It never writes SQL.

Two lanes (docs/jobs.md, "Lanes"): `max_parallel_jobs` general slots take any job, best first; the
`priority_lane_slots` extra slots take only jobs at or above `priority_threshold`, so a deletion
or a user's request starts within a poll interval even while long maintenance jobs hold every
general slot. A heartbeat thread keeps held jobs alive, relays cancel requests to handlers, and
requeues jobs whose worker died (any worker may do that for any other).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from contactsheet.jobs.completion import Outcome
from contactsheet.jobs.leases import ClaimedJob
from contactsheet.jobs.queue import JobQueue
from contactsheet.logs import log_event
from contactsheet.runtime import Runtime
from contactsheet.workers.context import (
    JobCanceled,
    JobContext,
    JobLost,
    PermanentJobError,
    WorkerStopping,
)
from contactsheet.workers.registry import Registry

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Runner:
    def __init__(
        self,
        runtime: Runtime,
        queue: JobQueue,
        registry: Registry,
        *,
        name: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.queue = queue
        self.registry = registry
        self.name = name or worker_name()
        self.config = runtime.settings.pipeline
        self._stopping = threading.Event()
        self._slots_ended = threading.Event()
        self._wakeup = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._beat: threading.Thread | None = None
        self._held: dict[int, tuple[ClaimedJob, JobContext]] = {}
        self._held_lock = threading.Lock()
        queue.on_enqueue(self.wake)

    def start(self) -> None:
        lanes = [0] * self.config.max_parallel_jobs
        lanes += [self.config.priority_threshold] * self.config.priority_lane_slots
        for index, min_priority in enumerate(lanes):
            thread = threading.Thread(
                target=self._slot_loop,
                args=(min_priority,),
                name=f"job-slot-{index}{'-priority' if min_priority else ''}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        self._beat = threading.Thread(
            target=self._heartbeat_loop, name="job-heartbeat", daemon=True
        )
        self._beat.start()
        log_event(log, "runner_started", worker=self.name, slots=len(lanes))

    def wake(self) -> None:
        """New work was queued: idle slots look now instead of at their next poll."""
        with self._wakeup:
            self._wakeup.notify_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; running handlers stop at their next check and their jobs are released.

        The heartbeat goes on until the handlers have returned: a handler finishing the photo it
        was on must not lose its lease meanwhile.
        """
        self._stopping.set()
        with self._held_lock:
            for _job, context in self._held.values():
                context.stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._slots_ended.set()
        if self._beat is not None:
            self._beat.join(max(0.0, deadline - time.monotonic()))
        log_event(log, "runner_stopped", worker=self.name)

    # -- slots ----------------------------------------------------------------------------------

    def _slot_loop(self, min_priority: int) -> None:
        idle = self.config.poll_interval_ms / 1000
        while not self._stopping.is_set():
            try:
                job = self.queue.claim(self.name, min_priority=min_priority)
            except Exception as exc:  # the database may be briefly unreachable: try again later
                log_event(log, "claim_failed", logging.WARNING, error=repr(exc))
                job = None
            if job is None:
                with self._wakeup:
                    self._wakeup.wait(idle)
                continue
            try:
                self.run_one(job)
            except Exception as exc:
                # Recording the outcome failed (the database went away?): the slot lives on, and
                # the job, still `running` without a heartbeat, is requeued as stale.
                log_event(log, "job_outcome_lost", logging.ERROR, job_id=job.id, error=repr(exc))
                with self._wakeup:
                    self._wakeup.wait(idle)

    def run_one(self, job: ClaimedJob) -> Outcome:
        context = JobContext(job, self.runtime, self.queue)
        if self._stopping.is_set():
            context.stopping.set()
        with self._held_lock:
            self._held[job.id] = (job, context)
        started = time.monotonic()
        try:
            outcome = self._execute(job, context)
        finally:
            with self._held_lock:
                self._held.pop(job.id, None)
        log_event(
            log,
            "job_finished",
            job_id=job.id,
            type=job.type,
            attempt=job.attempt,
            status=outcome.status or "lost",
            ms=round((time.monotonic() - started) * 1000),
        )
        return outcome

    def _execute(self, job: ClaimedJob, context: JobContext) -> Outcome:
        handler = self.registry.get(job.type)
        if handler is None:
            return self.queue.fail(job, f"no handler for step type {job.type!r}", permanent=True)
        try:
            result = handler(context)
        except JobCanceled:
            return self.queue.canceled(job)
        except WorkerStopping:
            return self.queue.release(job)
        except JobLost:
            return Outcome(None)
        except PermanentJobError as exc:
            return self.queue.fail(job, str(exc), permanent=True)
        except Exception as exc:
            log.exception("job_handler_error job_id=%s type=%s", job.id, job.type)
            return self.queue.fail(job, f"{type(exc).__name__}: {exc}")
        return self.queue.complete(job, result or {})

    # -- heartbeat ------------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        interval = self.config.heartbeat_ms / 1000
        while not self._slots_ended.wait(interval):
            try:
                self.beat()
            except Exception as exc:
                log_event(log, "heartbeat_failed", logging.WARNING, error=repr(exc))

    def beat(self) -> None:
        with self._held_lock:
            held = dict(self._held)
        if held:
            answers = self.queue.heartbeat([job for job, _ in held.values()])
            for job_id, cancel in answers.items():
                context = held[job_id][1]
                if cancel is None:
                    context.lost.set()
                elif cancel:
                    context.cancel_requested.set()
        for job_id in self.queue.requeue_stale():
            log_event(log, "job_requeued_stale", logging.WARNING, job_id=job_id)


def run_until_idle(runner: Runner, *, timeout: float = 60.0) -> None:
    """Claim and run jobs on this thread until none is runnable (tests use it for determinism)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runner.queue.claim(runner.name)
        if job is None:
            return
        runner.run_one(job)
    raise TimeoutError("jobs still runnable after the timeout")
