"""How many libvips threads really compute during some work, read from the kernel while it runs.

libvips names its pool threads "libvips worker" and keeps idle ones between pipelines, so counting
threads says nothing. A sampler thread reads, every few milliseconds while the work runs, how many
of them the kernel shows running (state R: on a core or waiting for one). The mean over the samples
is the work's real parallelism: about 1 when libvips is held to one thread, whatever passing moment
(one pipeline's thread winding down as the next starts) a single sample may catch.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
WORKER_NAME = "libvips worker"
INTERVAL = 0.002


def running_vips_threads() -> int:
    running = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="ascii") as comm:
                if comm.read().strip() != WORKER_NAME:
                    continue
            with open(f"/proc/self/task/{task}/stat", encoding="ascii") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:  # the thread ended between listing and reading
            continue
        running += state == "R"
    return running


@dataclass
class Parallelism:
    samples: int = 0
    total: int = 0
    peak: int = 0

    @property
    def mean(self) -> float:
        return self.total / self.samples if self.samples else 0.0

    def __str__(self) -> str:
        return f"mean {self.mean:.2f}, peak {self.peak} over {self.samples} samples"


def settle(timeout: float = 5.0) -> None:
    """Wait until no libvips thread runs: earlier work must not be counted as this work's."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 10:
        quiet = quiet + 1 if running_vips_threads() == 0 else 0
        time.sleep(INTERVAL)


@contextmanager
def vips_parallelism() -> Iterator[Parallelism]:
    """How many libvips threads ran at once, sampled while the block runs."""
    settle()
    seen = Parallelism()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            running = running_vips_threads()
            seen.samples += 1
            seen.total += running
            seen.peak = max(seen.peak, running)
            done.wait(INTERVAL)

    sampler = threading.Thread(target=sample, name="vips-thread-probe", daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


def measured(work: Callable[[], T]) -> tuple[T, Parallelism]:
    with vips_parallelism() as seen:
        result = work()
    return result, seen
