"""a partial index of the photos a commit would remove

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:00:00.000000

The pending summary (shown on every screen) scanned every photo; the index holds only photos
with a format available that was not kept, with the columns the summary adds up. Its condition
is written as each engine's compiler writes `db.tables.pending_deletion()`, so the planner sees
the query's condition as the index's own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["project_id", "jpg_available", "keep_jpg", "raw_available", "keep_raw"]
SQLITE = "jpg_available = 1 AND keep_jpg = 0 OR raw_available = 1 AND keep_raw = 0"
POSTGRES = "jpg_available AND NOT keep_jpg OR raw_available AND NOT keep_raw"


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_photos_pending",
            COLUMNS,
            unique=False,
            sqlite_where=sa.text(SQLITE),
            postgresql_where=sa.text(POSTGRES),
        )


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_pending")
