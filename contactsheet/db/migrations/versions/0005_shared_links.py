"""shared links: client galleries and the photos in them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-11 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contactsheet.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("expires_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("allow_downloads", sa.Boolean(), nullable=False),
        sa.Column("show_location", sa.Boolean(), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_links")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_shared_links_key_digest")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("shared_links", schema=None) as batch_op:
        batch_op.create_index("ix_shared_links_tenant", ["tenant", "id"], unique=False)
    op.create_table(
        "shared_link_photos",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("added_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["shared_links.id"],
            name=op.f("fk_shared_link_photos_link_id_shared_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_shared_link_photos_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", "photo_id", name=op.f("pk_shared_link_photos")),
    )
    with op.batch_alter_table("shared_link_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shared_link_photos_photo_id"), ["photo_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shared_link_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shared_link_photos_photo_id"))
    op.drop_table("shared_link_photos")
    with op.batch_alter_table("shared_links", schema=None) as batch_op:
        batch_op.drop_index("ix_shared_links_tenant")
    op.drop_table("shared_links")
