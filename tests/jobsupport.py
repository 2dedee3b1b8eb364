"""Step handlers and tasks for pipeline tests, loaded through `pipeline.handler_modules`.

They do observable work (append to a file, sleep in small slices checking cancellation), so
tests can prove exactly-once execution, crash recovery and cancellation from the outside.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from contactsheet.db.enums import ItemStatus
from contactsheet.workers.context import JobContext
from contactsheet.workers.registry import Registry

TASKS = {
    "t_record": {
        "label": "record",
        "scope": "global",
        "steps": [{"type": "t_record", "priority": 50}],
    },
    "t_record_high": {
        "label": "record (high)",
        "scope": "global",
        "steps": [{"type": "t_record", "priority": 95}],
    },
    "t_sleep": {
        "label": "sleep",
        "scope": "global",
        "steps": [{"type": "t_sleep", "priority": 10}],
    },
    "t_fail": {"label": "fail", "scope": "global", "steps": [{"type": "t_fail", "priority": 50}]},
    "t_chain": {
        "label": "chain",
        "scope": "global",
        "steps": [
            {"type": "t_record", "priority": 50},
            {"type": "t_record", "priority": 60},
            {"type": "t_record", "priority": 70},
        ],
    },
    "t_chain_failing": {
        "label": "chain that fails in the middle",
        "scope": "global",
        "steps": [
            {"type": "t_record", "priority": 50},
            {"type": "t_fail", "priority": 50},
            {"type": "t_record", "priority": 50},
        ],
    },
    "t_unknown": {
        "label": "no handler",
        "scope": "global",
        "steps": [{"type": "t_nobody", "priority": 50}],
    },
    "t_items": {
        "label": "items",
        "scope": "global",
        "steps": [{"type": "t_items", "priority": 50}],
    },
    "t_resumable": {
        "label": "items that a resumed run skips",
        "scope": "global",
        "steps": [{"type": "t_resumable", "priority": 50}],
    },
}


def _record(context: JobContext) -> dict[str, Any]:
    """Append "<job id> <pid>" to payload["file"] (O_APPEND: whole lines even across processes)."""
    line = f"{context.job.id} {context.job.step_index} {os.getpid()}\n"
    fd = os.open(context.payload["file"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return {"recorded": context.job.id}


def _sleep(context: JobContext) -> dict[str, Any]:
    seconds = float(context.payload.get("seconds", 1))
    if context.job.attempt == 1 and "first_attempt_seconds" in context.payload:
        seconds = float(context.payload["first_attempt_seconds"])
    marker = context.payload.get("started_file")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        context.check_canceled()
        time.sleep(0.05)
    return {"slept": seconds, "attempt": context.job.attempt}


def _fail(context: JobContext) -> dict[str, Any]:
    raise RuntimeError(f"boom on attempt {context.job.attempt}")


def _items(context: JobContext) -> dict[str, Any]:
    count = int(context.payload.get("count", 5))
    ids = context.add_items([(None, f"item-{i}") for i in range(count)])
    for index, item_id in enumerate(ids):
        context.check_canceled()
        time.sleep(float(context.payload.get("delay", 0)))
        status = ItemStatus.FAILED if index == 0 else ItemStatus.DONE
        context.item_done(item_id, status, "bad item" if index == 0 else None)
        context.publish("item", {"name": f"item-{index}"})
    return {"items": count}


def _resumable(context: JobContext) -> dict[str, Any]:
    """Items `item-0` … that append their name to payload["file"] when processed, skipping those an
    earlier run of the job finished (it was handed back on a shutdown)."""
    count = int(context.payload.get("count", 5))
    ids = context.add_items([(None, f"item-{i}") for i in range(count)])
    processed = 0
    for index, item_id in enumerate(ids):
        if item_id in context.finished_before:
            continue
        context.check_canceled()
        time.sleep(float(context.payload.get("delay", 0)))
        fd = os.open(context.payload["file"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"item-{index}\n".encode())
        finally:
            os.close(fd)
        context.item_done(item_id)
        processed += 1
    return {"processed": processed}


def register(registry: Registry) -> None:
    registry.register("t_record", _record)
    registry.register("t_sleep", _sleep)
    registry.register("t_fail", _fail)
    registry.register("t_items", _items)
    registry.register("t_resumable", _resumable)
