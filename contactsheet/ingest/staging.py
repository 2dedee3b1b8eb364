"""Staging: a file arrives into a temporary file inside its project folder (so the final rename is
atomic and on the same filesystem), checked by name, size and content as it streams."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from contactsheet.catalog.photos import file_kind
from contactsheet.errors import ContactSheetError, InvalidInput, PayloadTooLarge, UnsafeName
from contactsheet.imaging.formats import SNIFF_BYTES, content_matches
from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from contactsheet.library.names import sanitize_filename

STAGING_PREFIX = ".upload-"


class UnacceptedType(InvalidInput):
    code = "unaccepted_type"


class ContentMismatch(InvalidInput):
    code = "content_mismatch"


@dataclass
class StagedFile:
    """One incoming file: where it waits, what it claims to be, and what it turned out to be."""

    original_name: str
    name: str = ""
    kind: str = ""
    temp_path: Path | None = None
    size: int = 0
    error: ContactSheetError | None = None
    metadata: PhotoMetadata | None = None
    file_time: datetime | None = None  # the original's modification time, when known
    _head: bytearray = field(default_factory=bytearray)
    _handle: object = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.temp_path is not None

    def discard(self) -> None:
        self._close()
        if self.temp_path is not None:
            self.temp_path.unlink(missing_ok=True)
            self.temp_path = None

    def _close(self) -> None:
        handle = self._handle
        self._handle = None
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]


def check_name(original_name: str) -> tuple[str, str]:
    """The safe name and its kind; raises UnsafeName or UnacceptedType."""
    name = sanitize_filename(original_name)
    kind = file_kind(name)
    if kind is None or kind == "sidecar":
        raise UnacceptedType(f"{name}: not an accepted photo type")
    return name, kind


class Stager:
    """Receives one file in chunks. Errors are recorded on the file, never raised mid-stream,
    so a request with one bad file still stores the others."""

    def __init__(self, project_dir: Path, original_name: str, max_bytes: int) -> None:
        self.file = StagedFile(original_name=original_name)
        self.max_bytes = max_bytes
        try:
            self.file.name, self.file.kind = check_name(original_name)
        except (UnsafeName, UnacceptedType) as exc:
            self.file.error = exc
            return
        temp = project_dir / f"{STAGING_PREFIX}{secrets.token_hex(8)}.part"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.file.temp_path = temp
        self.file._handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        staged = self.file
        if staged.error is not None or staged._handle is None:
            return
        staged.size += len(chunk)
        if staged.size > self.max_bytes:
            staged.error = PayloadTooLarge(
                f"{staged.name}: larger than the limit of {self.max_bytes} bytes"
            )
            staged.discard()
            return
        if len(staged._head) < SNIFF_BYTES:
            staged._head += chunk[: SNIFF_BYTES - len(staged._head)]
        staged._handle.write(chunk)  # type: ignore[attr-defined]

    def finish(self) -> StagedFile:
        """Close the file and check its content; reads its metadata while it is still private."""
        staged = self.file
        if staged.error is not None:
            staged.discard()
            return staged
        handle = staged._handle
        staged._handle = None
        handle.flush()  # type: ignore[attr-defined]
        os.fsync(handle.fileno())  # type: ignore[attr-defined]
        handle.close()  # type: ignore[attr-defined]
        if staged.size == 0:
            staged.error = InvalidInput(f"{staged.name}: the file is empty")
        elif not content_matches(staged.name, bytes(staged._head)):
            staged.error = ContentMismatch(
                f"{staged.name}: the content is not what the extension says"
            )
        if staged.error is not None:
            staged.discard()
            return staged
        assert staged.temp_path is not None
        staged.metadata = read_metadata(staged.temp_path)
        return staged

    def abort(self) -> None:
        self.file.discard()


def stage_existing(
    source: Path, project_dir: Path, max_bytes: int, original_name: str
) -> StagedFile:
    """Stage a file that is already on disk (import, tus): copied in chunks like an upload."""
    stager = Stager(project_dir, original_name, max_bytes)
    try:
        with source.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                stager.write(chunk)
                if stager.file.error is not None:
                    break
        stager.file.file_time = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    except OSError as exc:
        stager.abort()
        stager.file.error = InvalidInput(f"{original_name}: cannot read ({exc.strerror})")
        return stager.file
    return stager.finish()
