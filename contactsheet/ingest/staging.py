"""Staging: a file arrives into a temporary file in the library's staging folder, checked by
name, size and content as it streams, and is hard-linked into its project only when placed.

The staging folder belongs to no project, so a project deleted, or a folder renamed or removed
while a file arrives, can never strand a temporary file or make it unreachable: whatever happens
to the project, the staged file is where it was put, and is removed from there.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from contactsheet.catalog.photos import file_kind
from contactsheet.errors import (
    ContactSheetError,
    InsufficientStorage,
    InvalidInput,
    PayloadTooLarge,
    UnsafeName,
)
from contactsheet.imaging.fingerprint import Fingerprinter
from contactsheet.imaging.formats import SNIFF_BYTES, content_matches
from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from contactsheet.library.names import sanitize_filename
from contactsheet.library.paths import LibraryPaths

STAGING_PREFIX = ".upload-"
READ_CHUNK = 1024 * 1024
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def staging_dir(paths: LibraryPaths) -> Path:
    """Where incoming files wait (created when missing): inside the data folder, so on the same
    filesystem as the projects in any ordinary set-up and a placement is a hard link."""
    directory = paths.root / "uploads" / "staging"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in _DISK_FULL


def disk_full(name: str) -> InsufficientStorage:
    return InsufficientStorage(f"{name}: not enough space left on the disk of the library")


def remove_abandoned_staged(paths: LibraryPaths, max_age_seconds: float, now: float) -> int:
    """Staged files older than any request lives (left by a server that was killed)."""
    directory = paths.root / "uploads" / "staging"
    if not directory.is_dir():
        return 0
    removed = 0
    for entry in directory.iterdir():
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_file():
            continue
        if entry.stat().st_mtime < now - max_age_seconds:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


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
    fingerprint: str | None = None  # of the content, once it has all arrived
    source: str = ""  # the folder it came from, relative, as its sender named it
    _head: bytearray = field(default_factory=bytearray)
    _handle: object = None
    _digest: Fingerprinter = field(default_factory=Fingerprinter)

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
            # Closing flushes what is still buffered, which fails again on a full disk; the
            # descriptor is closed all the same, and the file is being thrown away.
            with contextlib.suppress(OSError):
                handle.close()  # type: ignore[attr-defined]


def check_name(original_name: str) -> tuple[str, str]:
    """The safe name and its kind; raises UnsafeName or UnacceptedType."""
    name = sanitize_filename(original_name)
    kind = file_kind(name)
    if kind is None or kind == "sidecar":
        raise UnacceptedType(f"{name}: not an accepted photo type")
    return name, kind


class Stager:
    """Receives one file in chunks. The file's own errors (name, type, size, content, a full
    disk) are recorded on it, never raised mid-stream, so a request with one bad file still
    stores the others; only a failure of the server itself raises."""

    def __init__(self, directory: Path, original_name: str, max_bytes: int) -> None:
        """`directory` is the staging folder (`staging_dir`)."""
        self.file = StagedFile(original_name=original_name)
        self.max_bytes = max_bytes
        try:
            self.file.name, self.file.kind = check_name(original_name)
        except (UnsafeName, UnacceptedType) as exc:
            self.file.error = exc
            return
        temp = directory / f"{STAGING_PREFIX}{secrets.token_hex(8)}.part"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self.file.error = disk_full(self.file.name)
            return
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
        try:
            staged._handle.write(chunk)  # type: ignore[attr-defined]
        except OSError as exc:
            self._failed_write(exc)
            return
        staged._digest.update(chunk)

    def _failed_write(self, exc: OSError) -> None:
        """A full disk is this file's error (its space is given back at once, so a smaller file
        after it may still fit); any other write error is the server's and ends the request."""
        self.file.discard()
        if not is_disk_full(exc):
            raise exc
        self.file.error = disk_full(self.file.name)

    def finish(self) -> StagedFile:
        """Close the file and check its content; reads its metadata while it is still private."""
        staged = self.file
        if staged.error is not None:
            staged.discard()
            return staged
        handle = staged._handle
        try:
            handle.flush()  # type: ignore[attr-defined]
            os.fsync(handle.fileno())  # type: ignore[attr-defined]
        except OSError as exc:
            self._failed_write(exc)
            return staged
        staged._handle = None
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
        staged.fingerprint = staged._digest.value()
        staged.metadata = read_metadata(staged.temp_path)
        return staged

    def abort(self) -> None:
        self.file.discard()


def stage_existing(source: Path, directory: Path, max_bytes: int, original_name: str) -> StagedFile:
    """Stage a file that is already on disk (import, tus) into the staging folder `directory`:
    copied in chunks like an upload. A source that cannot be read is this file's error, told
    apart from the staging side's own (a full disk is not a bad source)."""
    stager = Stager(directory, original_name, max_bytes)
    if stager.file.error is not None:
        return stager.file
    try:
        try:
            handle = source.open("rb")
        except OSError as exc:
            return _unreadable(stager, original_name, exc)
        with handle:
            mtime = os.fstat(handle.fileno()).st_mtime
            stager.file.file_time = datetime.fromtimestamp(mtime, UTC)
            while stager.file.error is None:
                try:
                    chunk = handle.read(READ_CHUNK)
                except OSError as exc:
                    return _unreadable(stager, original_name, exc)
                if not chunk:
                    break
                stager.write(chunk)
        return stager.finish()
    except BaseException:
        stager.abort()
        raise


def _unreadable(stager: Stager, original_name: str, exc: OSError) -> StagedFile:
    stager.abort()
    stager.file.error = InvalidInput(f"{original_name}: cannot read ({exc.strerror})")
    return stager.file
