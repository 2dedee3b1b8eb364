"""Zips of originals, streamed as they are read: constant memory whatever their total size, no
temporary file, and the first bytes on the wire at once (docs/sharing.md).

Originals are stored, not deflated: JPEG and RAW data do not compress, and storing lets the zip's
length be known before the first byte (`Content-Length`, a browser's progress bar). Each file is
opened only when its turn comes, without following a link, so a file swapped for a link after
the request was checked is refused rather than read through.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from zipstream import ZIP_STORED, ZipStream

from contactsheet.catalog.photos import file_kind, split_name
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Photo, Project
from contactsheet.errors import InvalidInput, NotFound, UnsafePath
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime

CHUNK = 1024 * 1024
FILE_CHOICES = {"all": ("jpg", "raw", "other"), "jpg": ("jpg",), "raw": ("raw",)}


@dataclass(frozen=True)
class Entry:
    path: Path
    name: str  # the name inside the zip: no folder part, unique in the zip
    size: int


def _chunks(path: Path) -> Iterator[bytes]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`…: two projects may each hold an `IMG_0001.JPG`, and an
    unzip tool would otherwise overwrite one with the other (names compare as the library
    compares them, since many file systems ignore case)."""
    stem, suffix = split_name(name)
    candidate, n = name, 1
    while name_key(candidate) in taken:
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    taken.add(name_key(candidate))
    return candidate


def originals(runtime: Runtime, photo_ids: Iterable[int], files: str = "all") -> list[Entry]:
    """The original files of these photos of active projects that are on disk, as zip entries,
    in the order asked. Files gone from disk are left out; none at all is a 404."""
    kinds = FILE_CHOICES.get(files)
    if kinds is None:
        raise InvalidInput(f"files must be one of {sorted(FILE_CHOICES)}")
    ids = list(dict.fromkeys(photo_ids))
    with runtime.db.read() as session:
        rows = {
            pid: (filenames, folder)
            for pid, filenames, folder in session.execute(
                select(Photo.id, Photo.filenames, Project.folder)
                .join(Project, Project.id == Photo.project_id)
                .where(
                    Photo.id.in_(ids),
                    Project.tenant == runtime.tenant,
                    Project.status == ProjectStatus.ACTIVE,
                )
            )
        }
    entries: list[Entry] = []
    taken: set[str] = set()
    for pid in ids:
        if pid not in rows:
            continue
        filenames, folder = rows[pid]
        for filename in sorted(filenames):
            if file_kind(filename) not in kinds:
                continue
            try:
                path = runtime.paths.file_named(folder, filename)
                found = os.lstat(path)
            except (UnsafePath, OSError):
                continue  # gone, or its project's folder is: nothing to send
            if not stat.S_ISREG(found.st_mode):
                continue  # a link (wherever it leads) or anything but a file: never read through
            entries.append(Entry(path, _unique(filename, taken), found.st_size))
    if not entries:
        raise NotFound("none of these photos has an original on disk")
    return entries


def zip_stream(entries: list[Entry]) -> ZipStream:
    """A zip of `entries`; `len()` of it is its exact size, iterating it reads the files."""
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for entry in entries:
        stream.add(_chunks(entry.path), entry.name, size=entry.size)
    return stream
