"""Shared pieces for pipeline tests: settings with the test steps loaded, and small waiters."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contactsheet.config import Settings
from contactsheet.db.tables import Job
from contactsheet.jobs.runner import Runner
from contactsheet.runtime import Runtime

FAST_PIPELINE: dict[str, Any] = {
    "scheduler_enabled": False,
    "workers_in_serve": False,
    "handler_modules": ["tests.jobsupport"],
    "heartbeat_ms": 100,
    "stale_seconds": 2,
    "poll_interval_ms": 50,
    "backoff_base_seconds": 0.2,
    "max_attempts": 3,
}


def pipeline_settings(data_dir: Path, database_url: str, **pipeline: Any) -> Settings:
    return Settings(
        data=data_dir,
        database_url=database_url,
        pipeline={**FAST_PIPELINE, **pipeline},  # type: ignore[arg-type]
    )


def start(runtime: Runtime, task_type: str, **payload: Any) -> Job:
    with runtime.db.write() as session:
        return runtime.queue.start_task(session, task_type, payload=payload)


def job(runtime: Runtime, job_id: int) -> Job:
    return runtime.queue.get(job_id)[0]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def started_runner(runtime: Runtime, registry_runtime: Runtime | None = None) -> Runner:
    from contactsheet.handlers import default_registry

    owner = registry_runtime or runtime
    runner = Runner(runtime, runtime.queue, default_registry(owner.settings.pipeline))
    runner.start()
    return runner
