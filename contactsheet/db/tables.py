"""The tables. The database is an index of the library on disk; see docs/architecture.md.

Rules that hold for every table:
- ids are never reused (SQLite AUTOINCREMENT, PostgreSQL identity sequences);
- every row that belongs to a user carries its tenant;
- a child that must die with its parent has `ON DELETE CASCADE`;
- a derivative's state lives only in `derivatives` (no copy on `photos` that could disagree).
- a number derived from other rows (`photo_counts`) is kept by the database's own triggers in
  the same transaction, never by application code that a new path could forget.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from contactsheet.clock import utcnow
from contactsheet.db.enums import (
    DerivativeStatus,
    ItemStatus,
    JobStatus,
    Pick,
    ProjectStatus,
    TaskStatus,
    Visibility,
)
from contactsheet.db.types import JsonDocument, UTCDateTime, json_default

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite keeps a high-water mark per table with AUTOINCREMENT, so a deleted id never comes back.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JsonDocument}


def _active_only() -> dict[str, Any]:
    where = text("status = 'active'")
    return {"sqlite_where": where, "postgresql_where": where}


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(220))
    # casefolded NFKC forms: "Wedding", "wedding" and fullwidth "Wedding" are one name
    name_key: Mapped[str] = mapped_column(String(400))
    folder: Mapped[str] = mapped_column(String(255))
    folder_key: Mapped[str] = mapped_column(String(400))
    status: Mapped[ProjectStatus] = mapped_column(String(16), default=ProjectStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None]
    # why it was archived (ArchiveReason); a project archived because its folder stayed gone is
    # revived, with its rows, when the folder comes back
    archived_reason: Mapped[str | None] = mapped_column(String(32))
    # set by maintenance when the folder was not found; cleared when it is back
    missing_since: Mapped[datetime | None]

    photos: Mapped[list[Photo]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("uq_projects_active_folder", "tenant", "folder_key", unique=True, **_active_only()),
        Index("uq_projects_active_name", "tenant", "name_key", unique=True, **_active_only()),
        NEVER_REUSE_IDS,
    )


class Photo(Base):
    """All the files of one shot: `DSC01234.JPG` + `DSC01234.ARW` in one project."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    basename: Mapped[str] = mapped_column(String(255))
    basename_key: Mapped[str] = mapped_column(String(400))
    filenames: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    jpg_available: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_available: Mapped[bool] = mapped_column(Boolean, default=False)
    other_available: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_jpg: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_raw: Mapped[bool] = mapped_column(Boolean, default=False)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)

    date_time_original: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    orientation: Mapped[int | None] = mapped_column(SmallInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    lens: Mapped[str | None] = mapped_column(String(220))
    exposure_time: Mapped[float | None]
    f_number: Mapped[float | None]
    iso: Mapped[int | None]
    focal_length: Mapped[float | None]
    gps_lat: Mapped[float | None]
    gps_lon: Mapped[float | None]
    exif: Mapped[dict[str, Any]] = mapped_column(default=json_default)
    thumbhash: Mapped[str | None] = mapped_column(String(64))

    visibility: Mapped[Visibility] = mapped_column(String(16), default=Visibility.PRIVATE)
    rating: Mapped[int] = mapped_column(SmallInteger, default=0)
    pick: Mapped[Pick] = mapped_column(String(16), default=Pick.UNFLAGGED)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="photos")
    derivatives: Mapped[list[Derivative]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", passive_deletes=True
    )
    # Written only with `filenames`, by contactsheet/catalog/photos.py.
    files: Mapped[list[PhotoFile]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("rating BETWEEN 0 AND 5", name="rating_range"),
        Index("uq_photos_project_basename", "project_id", "basename_key", unique=True),
        Index("ix_photos_project_taken", "project_id", "taken_at", "id"),
        Index("ix_photos_project_size", "project_id", "file_size", "id"),
        Index("ix_photos_taken", "tenant", "taken_at", "id"),
        Index("ix_photos_basename", "tenant", "basename_key", "id"),
        NEVER_REUSE_IDS,
    )


def pending_deletion() -> Any:
    """A photo with a format available that the user chose not to keep: what a commit removes.
    The partial index below holds exactly these rows, so the pending summary reads only them."""
    return or_(
        and_(Photo.jpg_available, ~Photo.keep_jpg), and_(Photo.raw_available, ~Photo.keep_raw)
    )


Index(
    "ix_photos_pending",
    Photo.project_id,
    Photo.jpg_available,
    Photo.keep_jpg,
    Photo.raw_available,
    Photo.keep_raw,
    sqlite_where=pending_deletion(),
    postgresql_where=pending_deletion(),
)


class PhotoCount(Base):
    """How many photos a project holds, kept by triggers on `photos` (migration 0006) inside the
    transaction that adds, removes or moves a photo, so it cannot disagree with the rows: a
    listing's total is a sum over projects instead of a count over 100,000 rows."""

    __tablename__ = "photo_counts"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    photos: Mapped[int] = mapped_column(Integer, default=0)


class PhotoFile(Base):
    """One file of a photo, with what identifies its content (docs/ingest.md).

    `fingerprint` (contactsheet/imaging/fingerprint.py) is a record of the file as it was when
    `size` and `mtime_ns` were read: it counts only while the file on disk still has both, and
    is computed when a comparison first needs it. `batch` and `source_key` say which upload
    batch and source folder the file last arrived from, so the other files of that folder pair
    with it across requests.
    """

    __tablename__ = "photo_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    filename_key: Mapped[str] = mapped_column(String(400))
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    batch: Mapped[str | None] = mapped_column(String(64))
    source_key: Mapped[str | None] = mapped_column(String(1400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photo: Mapped[Photo] = relationship(back_populates="files")

    __table_args__ = (
        Index("ix_photo_files_fingerprint", "tenant", "fingerprint"),
        Index("ix_photo_files_batch", "batch", "source_key"),
        NEVER_REUSE_IDS,
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(220))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("uq_tags_project_name", "project_id", "name_key", unique=True),
        NEVER_REUSE_IDS,
    )


class PhotoTag(Base):
    __tablename__ = "photo_tags"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Derivative(Base):
    """What was made for one photo and kind, and from what. The file on disk must match it."""

    __tablename__ = "derivatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[DerivativeStatus] = mapped_column(String(16), default=DerivativeStatus.PENDING)
    source_name: Mapped[str | None] = mapped_column(String(255))
    source_fingerprint: Mapped[str | None] = mapped_column(String(80))
    source_size: Mapped[int | None] = mapped_column(BigInteger)
    params_key: Mapped[str | None] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column(default=json_default)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # What was wrong with a source that was shown anyway (damaged data, a codec libvips lacks).
    warning: Mapped[str | None] = mapped_column(Text)
    generated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    photo: Mapped[Photo] = relationship(back_populates="derivatives")

    __table_args__ = (
        Index("uq_derivatives_photo_kind", "photo_id", "kind", unique=True),
        Index("ix_derivatives_status", "status"),
        NEVER_REUSE_IDS,
    )


class Task(Base):
    """One run of a named, ordered list of steps (docs/jobs.md). Its jobs are the steps."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=json_default)
    status: Mapped[TaskStatus] = mapped_column(String(16), default=TaskStatus.RUNNING)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    origin: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_tasks_type_status", "type", "status"), NEVER_REUSE_IDS)


class Job(Base):
    """One step of a task, claimed and run by exactly one worker at a time."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(SmallInteger, default=50)
    payload: Mapped[dict[str, Any]] = mapped_column(default=json_default)
    # identical automatic jobs share a key; only one of them may be queued at a time
    dedup_key: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        Index("ix_jobs_claim", "status", "priority", "id"),
        Index("ix_jobs_project_status", "project_id", "status"),
        Index("ix_jobs_task", "task_id"),
        Index("ix_jobs_finished", "status", "finished_at"),
        Index(
            "uq_jobs_queued_dedup",
            "dedup_key",
            unique=True,
            sqlite_where=text("status = 'queued' AND dedup_key IS NOT NULL"),
            postgresql_where=text("status = 'queued' AND dedup_key IS NOT NULL"),
        ),
        NEVER_REUSE_IDS,
    )


class JobItem(Base):
    """One photo or file of a job, with its own status, for progress and per-item errors."""

    __tablename__ = "job_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ItemStatus] = mapped_column(String(16), default=ItemStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_job_items_job_status", "job_id", "status"), NEVER_REUSE_IDS)


class Event(Base):
    """Published events, so a server streams what workers in other processes did."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=json_default)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (NEVER_REUSE_IDS,)


class Schedule(Base):
    """When each periodic task last ran, so a restart neither skips nor doubles a run."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None]
    last_task_id: Mapped[int | None] = mapped_column(Integer)


class TrashEntry(Base):
    """A file the app moved to a project's `.trash`, with where it came from and when."""

    __tablename__ = "trash_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    original_path: Mapped[str] = mapped_column(String(1024))
    trash_path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(64))
    trashed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    restored_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    __table_args__ = (NEVER_REUSE_IDS,)


class Finding(Base):
    """A problem maintenance saw and would not fix by force (a rename blocked by another folder,
    a manifest naming another install's project, a file it cannot read). Open until a later run
    no longer sees it; shown by `GET /api/maintenance/findings` and `contactsheet check`."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    step: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(1024))
    # step, kind, project and subject in one string: at most one open finding per key
    key: Mapped[str] = mapped_column(String(1400))
    message: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_findings_open_key",
            "tenant",
            "key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        NEVER_REUSE_IDS,
    )


class SharedLink(Base):
    """A gallery for clients at `/shared/<key>`: the link's public photos, read by anyone holding
    the key (docs/sharing.md). The key is looked up by its digest and then compared in constant
    time; regenerating it replaces both, so the old key stops working at once."""

    __tablename__ = "shared_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    allow_downloads: Mapped[bool] = mapped_column(Boolean, default=False)
    show_location: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_shared_links_tenant", "tenant", "id"), NEVER_REUSE_IDS)


class SharedLinkPhoto(Base):
    __tablename__ = "shared_link_photos"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("shared_links.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthSession(Base):
    """A login. Its refresh token is stored only as a hash; logout revokes it."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (NEVER_REUSE_IDS,)


class Setting(Base):
    """Small named values the application keeps: the admin password hash, schema facts."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
