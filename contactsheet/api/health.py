"""Liveness: the server answers, and so does its database."""

from __future__ import annotations

from fastapi import APIRouter

from contactsheet import __version__
from contactsheet.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(runtime: RuntimeDep) -> dict[str, str]:
    """Public liveness check: the server answers and its database does too."""
    runtime.db.ping()
    return {"status": "ok", "version": __version__, "database": runtime.db.dialect}
