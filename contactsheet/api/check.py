"""What `contactsheet check` reports, over HTTP: every disagreement between the catalog and the
disk, and the findings maintenance left for a person to resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from contactsheet.api.deps import RuntimeDep
from contactsheet.maintenance.check import check_library, findings_of

router = APIRouter(tags=["maintenance"])

ProjectFolder = Annotated[
    str | None, Query(max_length=255, description="Only this project (its folder).")
]


class ProblemOut(BaseModel):
    severity: Literal["error", "info"]
    kind: str
    project: str | None = Field(description="The project's folder; null for the library.")
    subject: str
    message: str


class FindingOut(BaseModel):
    id: int
    step: str
    kind: str
    project_id: int | None
    project: str | None
    subject: str
    message: str
    first_seen_at: datetime
    last_seen_at: datetime


class CheckOut(BaseModel):
    clean: bool = Field(description="No errors and no open findings.")
    errors: int
    infos: int
    checked: dict[str, int]
    counts: dict[str, int] = Field(description="Problems by kind, errors and information.")
    problems: list[ProblemOut] = Field(description="At most 200 of each kind.")
    findings: list[FindingOut]
    seconds: float


class FindingsOut(BaseModel):
    items: list[FindingOut]


@router.get("/api/check")
def check(runtime: RuntimeDep, project: ProjectFolder = None) -> CheckOut:
    """Compare the catalog with the disk and change nothing (what `contactsheet check` prints).
    A maintenance run fixes the errors it can; what it cannot stays as a finding."""
    return CheckOut.model_validate(check_library(runtime, project).as_dict())


@router.get("/api/maintenance/findings")
def findings(runtime: RuntimeDep, project: ProjectFolder = None) -> FindingsOut:
    """Problems maintenance saw and would not fix by force, oldest first, open until a later
    run no longer sees them."""
    views = findings_of(runtime, project)
    return FindingsOut(items=[FindingOut.model_validate(v.as_dict()) for v in views])
