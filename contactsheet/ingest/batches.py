"""Upload batches: the files of one drop of files or folders, or of one import, within which
files pair by source folder and basename (docs/ingest.md). A batch is an id the client chooses
(the browser sends one file per request) and each file's folder relative to what was dropped;
what a batch needs later is stored with its files (`photo_files.batch`, `source_key`), so a
batch spans requests and server processes."""

from __future__ import annotations

import re
import secrets

from contactsheet.catalog.photos import split_name
from contactsheet.errors import InvalidInput
from contactsheet.library.names import name_key

BATCH_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_FOLDER_CHARS = 255  # characters; a multipart field holds at most 1 KiB
MAX_SOURCE_KEY = 1400  # the column's width; a longer folder only ever pairs less
_BATCH_ID = re.compile(BATCH_PATTERN)


def new_batch_id() -> str:
    """A batch of its own, for files sent without one (a request, an import run)."""
    return secrets.token_hex(16)


def checked_batch(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _BATCH_ID.fullmatch(value):
        raise InvalidInput("batch must be 1 to 64 letters, digits, '-' or '_'")
    return value


def checked_folder(value: str | None) -> str | None:
    """A client's relative source folder, as a key: bounded, no control characters."""
    if value is None:
        return None
    if len(value) > MAX_FOLDER_CHARS:
        raise InvalidInput(f"folder must be at most {MAX_FOLDER_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput("folder must not contain control characters")
    return value


def source_folder(original_name: str, folder: str | None = None) -> str:
    """The folder a file came from, relative, `/`-separated: `folder` when the sender gave one,
    else the directory part of the name it sent (`100CANON/IMG_0001.JPG`). Only ever compared,
    never a path on this machine."""
    text = folder if folder is not None else original_name.replace("\\", "/").rpartition("/")[0]
    parts = [p for p in text.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def source_key(folder: str, name: str) -> str:
    """The identity of a file's source folder and basename, ignoring case."""
    key = name_key(f"{folder}/{split_name(name)[0]}").replace("\x00", "")
    return key[:MAX_SOURCE_KEY]
