"""Domain errors. Each carries its HTTP status and a stable code; the API maps them in one place."""

from __future__ import annotations


class ContactSheetError(Exception):
    """Base of every error the application raises on purpose."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(ContactSheetError):
    status = 400
    code = "invalid_input"


class UnsafeName(InvalidInput):
    code = "unsafe_name"


class UnsafePath(ContactSheetError):
    """A path built from input would leave the library; no well-behaved client causes it."""

    status = 400
    code = "unsafe_path"


class NotAuthenticated(ContactSheetError):
    status = 401
    code = "not_authenticated"


class NotFound(ContactSheetError):
    status = 404
    code = "not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"


class PhotoNotFound(NotFound):
    """No such photo, or it (or its project) went away since it was looked up."""

    code = "photo_not_found"


class Undecodable(ContactSheetError):
    """Nothing can be shown for a photo: no decoder reads its source, or the source is gone."""

    status = 422
    code = "undecodable_source"


class Conflict(ContactSheetError):
    status = 409
    code = "conflict"


class ProjectFolderMissing(Conflict):
    """The project exists but its folder is not where the database says: renamed or removed by
    hand, and not yet followed by discovery."""

    code = "project_folder_missing"


class PayloadTooLarge(ContactSheetError):
    status = 413
    code = "payload_too_large"


class InsufficientStorage(ContactSheetError):
    """The disk (or quota) holding the library is full."""

    status = 507
    code = "insufficient_storage"


class RateLimited(ContactSheetError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
