"""maintenance findings, and why a project was archived

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contactsheet.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=False),
        sa.Column("key", sa.String(length=1400), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "first_seen_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_seen_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_findings_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "uq_findings_open_key",
            ["tenant", "key"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_reason", sa.String(length=32), nullable=True))
    # Every project archived so far was deleted by its user.
    op.execute("UPDATE projects SET archived_reason = 'deleted' WHERE status = 'archived'")


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("archived_reason")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("uq_findings_open_key")
        batch_op.drop_index(batch_op.f("ix_findings_project_id"))
    op.drop_table("findings")
