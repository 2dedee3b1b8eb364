"""Steps whose work arrives with later issues. They say so in their result instead of
pretending to have done anything, so nobody mistakes them for a clean bill of health."""

from __future__ import annotations

from typing import Any

from contactsheet.workers.context import JobContext
from contactsheet.workers.registry import Handler

NOT_YET_BUILT = (
    "orphaned_project_cleanup",
    "duplicate_resolution",
    "manifest_check",
    "manifest_cleaning",
)


def not_implemented(step_type: str) -> Handler:
    def handler(_context: JobContext) -> dict[str, Any]:
        return {"status": "not implemented", "step": step_type, "changed": 0}

    handler.__name__ = f"{step_type}_not_implemented"
    return handler
