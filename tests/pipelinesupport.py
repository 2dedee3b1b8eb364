"""Shared pieces for pipeline tests: settings with the test steps loaded, and small waiters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contactsheet.config import Settings
from contactsheet.db.tables import Job
from contactsheet.runtime import Runtime
from contactsheet.workers.runner import Runner

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


def wait_for(
    condition: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    *,
    what: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout} s")


def started_runner(runtime: Runtime, registry_runtime: Runtime | None = None) -> Runner:
    from contactsheet.handlers import default_registry

    owner = registry_runtime or runtime
    runner = Runner(runtime, runtime.queue, default_registry(owner.settings.pipeline))
    runner.start()
    return runner


ROOT = Path(__file__).resolve().parents[1]


def spawn_worker(
    runtime: Runtime, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`contactsheet worker` in its own process, on this runtime's library and database, with the
    runtime's (fast) pipeline settings."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTSHEET_")},
        "CONTACTSHEET_CONFIG": "/nonexistent/contactsheet.toml",
        "CONTACTSHEET_DATA": str(runtime.settings.data),
        "CONTACTSHEET_DATABASE_URL": runtime.db.url,
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    for key, value in runtime.settings.pipeline.model_dump().items():
        env[f"CONTACTSHEET_PIPELINE__{key.upper()}"] = (
            json.dumps(value) if isinstance(value, list | bool) else str(value)
        )
    return subprocess.Popen(
        [sys.executable, "-m", "contactsheet", "worker"],
        env=env,
        cwd=runtime.settings.data.parent,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
