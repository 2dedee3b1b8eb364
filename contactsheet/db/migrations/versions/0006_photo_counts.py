"""photo counts per project, kept by triggers on photos

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:40:00.000000

A listing's total was a COUNT over every matching photo on every page (6 ms on SQLite, more on
PostgreSQL, at 100,000 photos: most of a page's time). The triggers keep one row per project in
the same transaction as the change, on both engines, so the sum over projects is exact. A photo
deleted with its project (ON DELETE CASCADE) only updates a row that is itself going: the delete
trigger updates, never inserts, so it cannot recreate a row for a project that is gone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADD = """INSERT INTO photo_counts (project_id, photos) VALUES (NEW.project_id, 1)
ON CONFLICT (project_id) DO UPDATE SET photos = photo_counts.photos + 1"""
REMOVE = "UPDATE photo_counts SET photos = photos - 1 WHERE project_id = OLD.project_id"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER photo_counts_insert AFTER INSERT ON photos
    BEGIN {ADD}; END""",
    f"""CREATE TRIGGER photo_counts_delete AFTER DELETE ON photos
    BEGIN {REMOVE}; END""",
    f"""CREATE TRIGGER photo_counts_move AFTER UPDATE OF project_id ON photos
    WHEN OLD.project_id IS NOT NEW.project_id
    BEGIN {REMOVE}; {ADD}; END""",
]

POSTGRES_FUNCTIONS = [
    f"""CREATE FUNCTION photo_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {ADD}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION photo_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {REMOVE}; RETURN NULL; END $$""",
    # Both projects' rows are locked in one order first: two moves the opposite ways at once
    # then wait for each other instead of deadlocking between their two updates.
    f"""CREATE FUNCTION photo_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
    PERFORM 1 FROM photo_counts WHERE project_id IN (OLD.project_id, NEW.project_id)
        ORDER BY project_id FOR UPDATE;
    {REMOVE}; {ADD}; RETURN NULL; END $$""",
]
POSTGRES_TRIGGERS = [
    """CREATE TRIGGER photo_counts_insert AFTER INSERT ON photos
    FOR EACH ROW EXECUTE FUNCTION photo_counts_add()""",
    """CREATE TRIGGER photo_counts_delete AFTER DELETE ON photos
    FOR EACH ROW EXECUTE FUNCTION photo_counts_remove()""",
    """CREATE TRIGGER photo_counts_move AFTER UPDATE OF project_id ON photos
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION photo_counts_move()""",
]
TRIGGERS = ("photo_counts_insert", "photo_counts_delete", "photo_counts_move")


def upgrade() -> None:
    op.create_table(
        "photo_counts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_photo_counts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_photo_counts")),
    )
    for statement in (POSTGRES_FUNCTIONS + POSTGRES_TRIGGERS) if _postgres() else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO photo_counts (project_id, photos) "
        "SELECT project_id, COUNT(*) FROM photos GROUP BY project_id"
    )


def downgrade() -> None:
    on_table = " ON photos" if _postgres() else ""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if _postgres():
        for name in ("photo_counts_add", "photo_counts_remove", "photo_counts_move"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("photo_counts")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
