"""Every state a stored thing can be in, one enum each, one line per state."""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    ACTIVE = "active"  # listed, accepts uploads
    ARCHIVED = "archived"  # deleted by the user or lost for good; row kept for audit


class ArchiveReason(StrEnum):
    """Why a project was archived (a project's `archived_reason`)."""

    DELETED = "deleted"  # the user deleted it
    FOLDER_LOST = "folder_lost"  # its folder stayed missing past the grace period


class Visibility(StrEnum):
    PRIVATE = "private"  # only the admin sees it (default)
    PUBLIC = "public"  # may appear in shared links


class Pick(StrEnum):
    UNFLAGGED = "unflagged"
    PICKED = "picked"
    REJECTED = "rejected"


class DerivativeKind(StrEnum):
    THUMBNAIL = "thumbnail"
    PREVIEW = "preview"


class DerivativeStatus(StrEnum):
    PENDING = "pending"  # never made (no record is the same as a pending record)
    GENERATED = "generated"  # file exists and matches the record
    MISSING = "missing"  # was made, file gone
    FAILED = "failed"  # the source could not be decoded; error kept


class FileOutcome(StrEnum):
    """What became of one file sent to a project (upload, tus, import)."""

    STORED = "stored"  # placed in the project, as a new photo or a file of one
    SKIPPED = "skipped"  # not placed, and nothing is wrong with it (a duplicate, a taken name)
    REJECTED = "rejected"  # not placed: refused (not a photo, too large, damaged, a bad name)


class TrashReason(StrEnum):
    """Why a file or a folder went to the trash (a trash entry's `reason`)."""

    COMMIT = "commit"  # a culling decision committed: the file was not kept
    OVERWRITTEN_BY_UPLOAD = "overwritten_by_upload"  # a new file took its name, on request
    PROJECT_DELETE = "project_delete"  # the user deleted the project: the whole folder
    PROJECT_SCAVENGE = "project_scavenge"  # an archived project's folder found and put away


# Trash entries of whole project folders (moved out of the library), not of files in one: they
# are restored as projects.
FOLDER_REASONS = (TrashReason.PROJECT_DELETE, TrashReason.PROJECT_SCAVENGE)


class JobScope(StrEnum):
    PROJECT = "project"
    PHOTO_SET = "photo_set"
    GLOBAL = "global"


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker (possibly until run_after, after a failure)
    RUNNING = "running"  # claimed by a worker whose heartbeat keeps it alive
    COMPLETED = "completed"  # the handler returned
    FAILED = "failed"  # the handler raised on its last allowed attempt
    CANCELED = "canceled"  # stopped by a user before or while running


class TaskStatus(StrEnum):
    RUNNING = "running"  # one of its steps is queued or running
    COMPLETED = "completed"  # every step completed
    FAILED = "failed"  # a step failed; later steps were not started
    CANCELED = "canceled"  # a step was canceled; later steps were not started


class ItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
