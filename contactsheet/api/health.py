from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from contactsheet import __version__
from contactsheet.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(runtime: RuntimeDep) -> dict[str, str]:
    """Public liveness check: the server answers and its database does too."""
    with runtime.db.read() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": runtime.db.dialect}
