"""A project's folder as the place new files go: it must be on disk and be the project's own,
and a name in it is claimed only if free (a hard link fails on a taken name; nothing is ever
overwritten by accident)."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contactsheet.catalog.projects import find_project
from contactsheet.db.tables import Project
from contactsheet.errors import ProjectFolderMissing
from contactsheet.ingest.staging import STAGING_PREFIX
from contactsheet.library.manifest import ManifestError, read_manifest
from contactsheet.runtime import Runtime

# Another filesystem, or one without hard links.
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP}


@contextmanager
def beside(source: Path, folder: Path) -> Iterator[Path]:
    """A private name for `source`'s content inside `folder`, removed on leaving: a hard link,
    or a copy when `folder` is on another filesystem. Preparing it first means a full disk or a
    vanished folder is met before anything in `folder` has changed."""
    private = folder / f"{STAGING_PREFIX}{secrets.token_hex(8)}.part"
    try:
        try:
            os.link(source, private)
        except OSError as exc:
            if isinstance(exc, FileExistsError) or exc.errno not in _NO_LINK:
                raise
            shutil.copyfile(source, private)
        yield private
    finally:
        private.unlink(missing_ok=True)


def claim_name(source: Path, target: Path) -> None:
    """Put `source` at `target` only if `target` does not exist (FileExistsError otherwise)."""
    os.link(source, target)


def folder_missing(project: Project) -> ProjectFolderMissing:
    return ProjectFolderMissing(
        f"the folder {project.folder!r} of project {project.name!r} is not on disk: it was "
        "renamed or removed by hand; the library check follows a renamed folder within "
        "minutes, then try again"
    )


def checked_folder(runtime: Runtime, project: Project) -> Path:
    """The project's folder, which must be on disk and be this project's."""
    folder = runtime.paths.project_dir(project.folder)
    if not folder.is_dir():
        raise folder_missing(project)
    try:
        manifest = read_manifest(runtime.paths.manifest_path(project.folder))
    except ManifestError:
        manifest = None  # unreadable: discovery reports it; it does not stop uploads
    if manifest is not None and manifest.id != project.id:
        raise folder_missing(project)
    return folder


def upload_target(runtime: Runtime, folder: str) -> tuple[int, str]:
    """(id, folder) of the active project in `folder`, checked as a place for files before a byte
    of them is received: `project_not_found` or `project_folder_missing` otherwise."""
    with runtime.db.read() as session:
        project = find_project(session, runtime.tenant, folder)
        checked_folder(runtime, project)
        return project.id, project.folder
