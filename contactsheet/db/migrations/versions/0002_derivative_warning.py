"""derivative warning

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: existing records were clean decodes or failures, both without one.
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warning", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.drop_column("warning")
