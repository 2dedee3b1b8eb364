"""photo files

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09 00:10:00.000000
"""

import json
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import contactsheet.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _name_key(name: str) -> str:
    # Frozen copy of contactsheet.library.names.name_key as it was when this revision was made.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade() -> None:
    photo_files = op.create_table(
        "photo_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("filename_key", sa.String(length=400), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(length=80), nullable=True),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.Column("source_key", sa.String(length=1400), nullable=True),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photo_files_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_files")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("photo_files", schema=None) as batch_op:
        batch_op.create_index("ix_photo_files_batch", ["batch", "source_key"], unique=False)
        batch_op.create_index("ix_photo_files_fingerprint", ["tenant", "fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_files_photo_id"), ["photo_id"], unique=False)

    # Every file the photos list gets its row; size and fingerprint are read from disk when a
    # comparison first needs them (a migration does not read the library).
    connection = op.get_bind()
    created = datetime.now(UTC)
    rows = connection.execute(sa.text("SELECT id, tenant, filenames FROM photos ORDER BY id"))
    pending: list[dict[str, object]] = []
    for photo_id, tenant, filenames in rows:
        names = json.loads(filenames) if isinstance(filenames, str) else (filenames or [])
        for name in names:
            pending.append(
                {
                    "photo_id": photo_id,
                    "tenant": tenant,
                    "filename": name,
                    "filename_key": _name_key(name),
                    "created_at": created,
                }
            )
    for start in range(0, len(pending), BATCH):
        op.bulk_insert(photo_files, pending[start : start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table("photo_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_files_photo_id"))
        batch_op.drop_index("ix_photo_files_fingerprint")
        batch_op.drop_index("ix_photo_files_batch")
    op.drop_table("photo_files")
