"""Trash: what the app removed in the last 24 h, and putting it back."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.api.params import TrashEntryId
from contactsheet.catalog import trash
from contactsheet.catalog.projects import project_id_of
from contactsheet.errors import ContactSheetError

router = APIRouter(prefix="/api/trash", tags=["trash"])


class RestoreRequest(BaseModel):
    ids: list[TrashEntryId] = Field(min_length=1, max_length=2000)


@router.get("")
def list_trash(runtime: RuntimeDep, project: str | None = None) -> dict[str, Any]:
    """Trashed files and deleted projects not yet purged (purged 24 h after trashing)."""
    project_id = project_id_of(runtime.db, runtime.tenant, project) if project else None
    return {"items": [asdict(item) for item in trash.list_trash(runtime, project_id)]}


@router.post("/restore")
def restore(body: RestoreRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Put entries back where they were; per-entry failures (place taken, already purged) are
    reported without stopping the rest."""
    restored, failed = [], []
    for entry_id in dict.fromkeys(body.ids):
        try:
            restored.append({"id": entry_id, "path": trash.restore(runtime, entry_id)})
        except ContactSheetError as exc:
            failed.append({"id": entry_id, "error": {"code": exc.code, "message": exc.message}})
    return {"restored": restored, "failed": failed}
