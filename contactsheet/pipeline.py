"""One process's background machinery: job runner and scheduler, started and stopped together."""

from __future__ import annotations

from contactsheet.handlers import default_registry
from contactsheet.jobs.scheduler import Scheduler, periodic_tasks
from contactsheet.runtime import Runtime
from contactsheet.workers.registry import Registry
from contactsheet.workers.runner import Runner


class Pipeline:
    def __init__(self, runtime: Runtime, *, workers: bool, scheduler: bool) -> None:
        config = runtime.settings.pipeline
        self.registry: Registry = default_registry(config)
        self.runner = Runner(runtime, runtime.queue, self.registry) if workers else None
        self.scheduler = (
            Scheduler(runtime.db, runtime.queue, periodic_tasks(config)) if scheduler else None
        )

    @classmethod
    def from_settings(cls, runtime: Runtime) -> Pipeline:
        """What `serve` runs: workers and scheduler each only when the settings enable them."""
        config = runtime.settings.pipeline
        return cls(runtime, workers=config.workers_in_serve, scheduler=config.scheduler_enabled)

    def start(self) -> None:
        if self.runner is not None:
            self.runner.start()
        if self.scheduler is not None:
            self.scheduler.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.runner is not None:
            self.runner.stop(timeout)
