"""How many photos a project (or a tenant's active projects) holds, read from `photo_counts`.

The database keeps those rows itself (triggers on `photos`, migration 0006), in the transaction
that changes the photos, so a total read here is the count of the rows, without counting them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import PhotoCount, Project


def photos_in(session: Session, tenant: str, project_id: int | None = None) -> int:
    """Photos of the tenant's active projects (of one of them, given `project_id`)."""
    query = (
        select(func.coalesce(func.sum(PhotoCount.photos), 0))
        .join(Project, Project.id == PhotoCount.project_id)
        .where(Project.tenant == tenant, Project.status == ProjectStatus.ACTIVE)
    )
    if project_id is not None:
        query = query.where(PhotoCount.project_id == project_id)
    return int(session.scalar(query) or 0)


def photos_of(project_id: Any) -> Any:
    """A scalar subquery: the photos of the project `project_id` (a column or a value)."""
    return (
        select(func.coalesce(func.max(PhotoCount.photos), 0))
        .where(PhotoCount.project_id == project_id)
        .scalar_subquery()
    )
