"""What a project's folder holds, read once per folder, and the rule that tells when it may be
trusted (docs/maintenance.md, "When the disk is not believed").

A step that fixes records from what it sees on disk must first know that what it sees is the
project's folder: present, readable, carrying this project's manifest when it has one, and not
empty of every file the project knows (an empty mount point, a network share not yet mounted).
Anything else is the disk not being there, and records are never changed because of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from contactsheet.catalog.photos import file_kind
from contactsheet.library.manifest import Manifest, ManifestError, read_manifest
from contactsheet.library.paths import MANIFEST_NAME

IMAGE_KINDS = frozenset({"jpg", "raw", "other"})


@dataclass(frozen=True)
class FolderListing:
    """The regular files of a folder by name (links are never the library's files)."""

    files: frozenset[str]

    def has(self, name: str) -> bool:
        return name in self.files


@dataclass(frozen=True)
class FolderState:
    listing: FolderListing | None  # None: the folder is not there or cannot be read
    problem: str | None  # why it is not to be believed, in words; None when it is
    manifest: Manifest | None = None
    manifest_error: str | None = None


def list_folder(directory: Path) -> FolderListing:
    """Raises OSError when the folder is gone or unreadable."""
    with os.scandir(directory) as entries:
        return FolderListing(frozenset(e.name for e in entries if e.is_file(follow_symlinks=False)))


def folder_state(directory: Path, project_id: int) -> FolderState:
    """Read the folder and its manifest; `problem` says why it must not be trusted."""
    if directory.is_symlink():
        return FolderState(None, "the folder is a link, not a folder of the library")
    try:
        listing = list_folder(directory)
    except FileNotFoundError:
        return FolderState(None, "the folder is missing")
    except OSError as exc:
        return FolderState(None, f"the folder cannot be read: {exc.strerror or exc}")
    try:
        manifest = read_manifest(directory / MANIFEST_NAME)
    except ManifestError as exc:
        return FolderState(listing, None, None, str(exc))
    if manifest is not None and manifest.id != project_id:
        return FolderState(
            listing,
            f"its {MANIFEST_NAME} names project {manifest.id}, not this project",
            manifest,
        )
    return FolderState(listing, None, manifest)


def image_files(names: list[str]) -> list[str]:
    """The names of images among a photo's files (not its sidecars)."""
    return [n for n in names if file_kind(n) in IMAGE_KINDS]


def nothing_known_left(listing: FolderListing, photo_filenames: list[list[str]]) -> bool:
    """Every photo of the project has lost every image at once: the disk is not all there (an
    empty mount point), or the folder was replaced; in either case not a reason to drop rows."""
    images = [image_files(names) for names in photo_filenames]
    known = [n for names in images for n in names]
    return bool(known) and not any(listing.has(n) for n in known)
