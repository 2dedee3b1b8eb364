"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 09:05:48.537152
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import contactsheet.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("refresh_hash", name=op.f("uq_auth_sessions_refresh_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=220), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("folder_key", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missing_since", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_tenant"), ["tenant"], unique=False)
        batch_op.create_index(
            "uq_projects_active_folder",
            ["tenant", "folder_key"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "uq_projects_active_name",
            ["tenant", "name_key"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "schedules",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_task_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedules")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("basename", sa.String(length=255), nullable=False),
        sa.Column("basename_key", sa.String(length=400), nullable=False),
        sa.Column(
            "filenames",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("jpg_available", sa.Boolean(), nullable=False),
        sa.Column("raw_available", sa.Boolean(), nullable=False),
        sa.Column("other_available", sa.Boolean(), nullable=False),
        sa.Column("keep_jpg", sa.Boolean(), nullable=False),
        sa.Column("keep_raw", sa.Boolean(), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("date_time_original", sa.String(length=40), nullable=True),
        sa.Column("taken_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orientation", sa.SmallInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("lens", sa.String(length=220), nullable=True),
        sa.Column("exposure_time", sa.Double(), nullable=True),
        sa.Column("f_number", sa.Double(), nullable=True),
        sa.Column("iso", sa.Integer(), nullable=True),
        sa.Column("focal_length", sa.Double(), nullable=True),
        sa.Column("gps_lat", sa.Double(), nullable=True),
        sa.Column("gps_lon", sa.Double(), nullable=True),
        sa.Column(
            "exif",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("thumbhash", sa.String(length=64), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("pick", sa.String(length=16), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 0 AND 5", name=op.f("ck_photos_rating_range")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_photos_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index("ix_photos_basename", ["tenant", "basename_key", "id"], unique=False)
        batch_op.create_index(
            "ix_photos_project_size", ["project_id", "file_size", "id"], unique=False
        )
        batch_op.create_index(
            "ix_photos_project_taken", ["project_id", "taken_at", "id"], unique=False
        )
        batch_op.create_index("ix_photos_taken", ["tenant", "taken_at", "id"], unique=False)
        batch_op.create_index(
            "uq_photos_project_basename", ["project_id", "basename_key"], unique=True
        )

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=220), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tags_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index("uq_tags_project_name", ["project_id", "name_key"], unique=True)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tasks_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_tasks_type_status", ["type", "status"], unique=False)

    op.create_table(
        "trash_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("original_path", sa.String(length=1024), nullable=False),
        sa.Column("trash_path", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("trashed_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("restored_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("purged_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_trash_entries_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trash_entries")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("trash_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trash_entries_trashed_at"), ["trashed_at"], unique=False
        )

    op.create_table(
        "derivatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column("source_fingerprint", sa.String(length=80), nullable=True),
        sa.Column("source_size", sa.BigInteger(), nullable=True),
        sa.Column("params_key", sa.String(length=80), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("generated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_derivatives_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivatives")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.create_index("ix_derivatives_status", ["status"], unique=False)
        batch_op.create_index("uq_derivatives_photo_kind", ["photo_id", "kind"], unique=True)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("heartbeat_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("priority BETWEEN 0 AND 100", name=op.f("ck_jobs_priority_range")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_jobs_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_jobs_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["status", "priority", "id"], unique=False)
        batch_op.create_index("ix_jobs_finished", ["status", "finished_at"], unique=False)
        batch_op.create_index("ix_jobs_project_status", ["project_id", "status"], unique=False)
        batch_op.create_index("ix_jobs_task", ["task_id"], unique=False)
        batch_op.create_index(
            "uq_jobs_queued_dedup",
            ["dedup_key"],
            unique=True,
            sqlite_where=sa.text("status = 'queued' AND dedup_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'queued' AND dedup_key IS NOT NULL"),
        )

    op.create_table(
        "photo_tags",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photo_tags_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_photo_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("photo_id", "tag_id", name=op.f("pk_photo_tags")),
    )
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "job_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", contactsheet.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_items_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_job_items_photo_id_photos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_items")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("job_items", schema=None) as batch_op:
        batch_op.create_index("ix_job_items_job_status", ["job_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_items", schema=None) as batch_op:
        batch_op.drop_index("ix_job_items_job_status")

    op.drop_table("job_items")
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_tags_tag_id"))

    op.drop_table("photo_tags")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_jobs_queued_dedup",
            sqlite_where=sa.text("status = 'queued' AND dedup_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'queued' AND dedup_key IS NOT NULL"),
        )
        batch_op.drop_index("ix_jobs_task")
        batch_op.drop_index("ix_jobs_project_status")
        batch_op.drop_index("ix_jobs_finished")
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.drop_index("uq_derivatives_photo_kind")
        batch_op.drop_index("ix_derivatives_status")

    op.drop_table("derivatives")
    with op.batch_alter_table("trash_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trash_entries_trashed_at"))

    op.drop_table("trash_entries")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_type_status")
        batch_op.drop_index(batch_op.f("ix_tasks_project_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index("uq_tags_project_name")

    op.drop_table("tags")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("uq_photos_project_basename")
        batch_op.drop_index("ix_photos_taken")
        batch_op.drop_index("ix_photos_project_taken")
        batch_op.drop_index("ix_photos_project_size")
        batch_op.drop_index("ix_photos_basename")

    op.drop_table("photos")
    op.drop_table("settings")
    op.drop_table("schedules")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_projects_active_name",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "uq_projects_active_folder",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_projects_tenant"))

    op.drop_table("projects")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_created_at"))

    op.drop_table("events")
    op.drop_table("auth_sessions")
