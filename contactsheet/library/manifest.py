"""`.project.yaml`: the project's identity on disk, so rows can follow a folder renamed by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from contactsheet.library.atomic import atomic_write_text
from contactsheet.library.names import name_key
from contactsheet.library.paths import MANIFEST_NAME, LibraryPaths

MANIFEST_VERSION = 1


class ManifestError(ValueError):
    """The file exists but is not a manifest this version understands."""


@dataclass(frozen=True)
class Manifest:
    id: int
    name: str
    folder: str
    tenant: str
    created_at: datetime
    version: int = MANIFEST_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "id": self.id,
            "name": self.name,
            "folder": self.folder,
            "tenant": self.tenant,
            "created_at": self.created_at.isoformat(),
        }


def write_manifest(path: Path, manifest: Manifest) -> None:
    header = "# Contact Sheet project manifest. Keep it with the folder; do not edit the id.\n"
    body = yaml.safe_dump(manifest.to_dict(), sort_keys=False, allow_unicode=True)
    atomic_write_text(path, header + body)


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, None when there is none; ManifestError when it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read {path.name}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
        return Manifest(
            id=int(data["id"]),
            name=str(data["name"]),
            folder=str(data.get("folder", path.parent.name)),
            tenant=str(data.get("tenant", "")),
            created_at=datetime.fromisoformat(str(data["created_at"])),
            version=int(data.get("version", MANIFEST_VERSION)),
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{path.name} is not a valid manifest: {exc}") from exc


def folders_with_id(paths: LibraryPaths, project_id: int, skip: set[str]) -> list[str]:
    """The project folders whose manifest carries `project_id`, sorted; folders whose name key is
    in `skip` (those of other projects), hidden ones, links and unreadable manifests left out."""
    root = paths.projects_root
    found = []
    for directory in sorted(root.iterdir()) if root.is_dir() else []:
        if directory.name.startswith(".") or directory.is_symlink() or not directory.is_dir():
            continue
        if name_key(directory.name) in skip:
            continue
        try:
            manifest = read_manifest(directory / MANIFEST_NAME)
        except ManifestError:
            continue
        if manifest is not None and manifest.id == project_id:
            found.append(directory.name)
    return found
