"""What a request asks of placement (`IngestOptions`) and what became of each of its files
(`FileResult`, `IngestReport`): the answer of an upload, a tus upload and an import alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contactsheet.db.enums import FileOutcome
from contactsheet.errors import ContactSheetError, InvalidInput
from contactsheet.ingest.classify import REJECTED, Verdict
from contactsheet.ingest.staging import StagedFile

KEEP_BOTH = "keep_both"
SKIP = "skip"
OVERWRITE = "overwrite"
ON_NAME_TAKEN = (KEEP_BOTH, SKIP, OVERWRITE)


@dataclass(frozen=True)
class IngestOptions:
    on_name_taken: str = KEEP_BOTH  # one of ON_NAME_TAKEN
    import_anyway: bool = False  # store a file identical to one in another project
    move_conflicts_here: bool = False

    def __post_init__(self) -> None:
        if self.on_name_taken not in ON_NAME_TAKEN:
            raise InvalidInput(f"on_name_taken must be one of {', '.join(ON_NAME_TAKEN)}")


@dataclass
class FileResult:
    name: str
    status: FileOutcome
    stored_as: str | None = None
    photo_id: int | None = None
    reason: str | None = None
    error: dict[str, str] | None = None
    conflict: dict[str, Any] | None = None
    file_class: str | None = None  # what the file was to the project (contactsheet.ingest.classify)
    cause: ContactSheetError | None = field(default=None, repr=False)  # of a rejection

    def as_dict(self) -> dict[str, Any]:
        body = {k: v for k, v in self.__dict__.items() if v is not None and k != "cause"}
        if "file_class" in body:
            body["class"] = body.pop("file_class")
        return body


def class_of(verdict: Verdict) -> dict[str, Any]:
    return {"file_class": verdict.kind}


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    task_id: int | None = None
    move_task_id: int | None = None

    def count(self, status: FileOutcome) -> int:
        return sum(1 for f in self.files if f.status == status)


def rejected(staged: StagedFile) -> FileResult:
    assert staged.error is not None
    return rejection(staged.original_name, staged.error)


def rejection(name: str, error: ContactSheetError) -> FileResult:
    return FileResult(
        name=name,
        status=FileOutcome.REJECTED,
        error={"code": error.code, "message": error.message},
        file_class=REJECTED,
        cause=error,
    )
