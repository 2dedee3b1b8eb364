"""`.project.yaml`: written with the project, kept up to date, atomic, and read defensively."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from contactsheet.library.atomic import TEMP_PREFIX, atomic_write_text, atomic_writer
from contactsheet.library.manifest import (
    MANIFEST_VERSION,
    Manifest,
    ManifestError,
    read_manifest,
    write_manifest,
)
from contactsheet.runtime import Runtime


def _load(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(f"{TEMP_PREFIX}*")]


def test_create_writes_the_manifest(admin: TestClient, runtime: Runtime) -> None:
    body = admin.post("/api/projects", json={"name": "Wedding 2026"}).json()
    path = runtime.paths.manifest_path(body["folder"])
    data = _load(path)
    assert data["version"] == MANIFEST_VERSION
    assert data["id"] == body["id"]
    assert data["name"] == "Wedding 2026"
    assert data["folder"] == body["folder"] == "Wedding 2026"
    assert data["tenant"] == runtime.tenant == "user_0"
    created = datetime.fromisoformat(str(data["created_at"]))
    assert created.tzinfo is not None
    assert created == datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60

    manifest = read_manifest(path)
    assert manifest is not None
    assert (manifest.id, manifest.name, manifest.folder) == (
        body["id"],
        "Wedding 2026",
        "Wedding 2026",
    )


def test_manifest_keeps_unicode_readable(admin: TestClient, runtime: Runtime) -> None:
    body = admin.post("/api/projects", json={"name": "Mariage à Genève"}).json()
    text = runtime.paths.manifest_path(body["folder"]).read_text(encoding="utf-8")
    assert "Mariage à Genève" in text
    assert _load(runtime.paths.manifest_path(body["folder"]))["name"] == "Mariage à Genève"


def test_rename_updates_the_manifest_name_only(admin: TestClient, runtime: Runtime) -> None:
    created = admin.post("/api/projects", json={"name": "Wedding"}).json()
    before = _load(runtime.paths.manifest_path(created["folder"]))
    response = admin.patch(f"/api/projects/{created['folder']}", json={"name": "Smith wedding"})
    assert response.status_code == 200, response.text
    assert response.json()["folder"] == "Wedding"
    after = _load(runtime.paths.manifest_path("Wedding"))
    assert after["name"] == "Smith wedding"
    assert after["folder"] == "Wedding"
    assert after["id"] == before["id"] == created["id"]
    assert after["created_at"] == before["created_at"]
    assert not (runtime.paths.projects_root / "Smith wedding").exists()
    assert _temp_files(runtime.paths.project_dir("Wedding")) == []


def test_no_temporary_files_are_left(admin: TestClient, runtime: Runtime) -> None:
    for name in ("One", "Two", "Three"):
        folder = admin.post("/api/projects", json={"name": name}).json()["folder"]
        admin.patch(f"/api/projects/{folder}", json={"name": f"{name} renamed"})
    assert _temp_files(runtime.paths.projects_root) == []


def _manifest(**changes: object) -> Manifest:
    values: dict[str, object] = {
        "id": 7,
        "name": "Wedding: Smith & Jones",
        "folder": "Wedding_ Smith & Jones",
        "tenant": "user_0",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    values.update(changes)
    return Manifest(**values)  # type: ignore[arg-type]


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    path = tmp_path / "p" / ".project.yaml"
    manifest = _manifest()
    write_manifest(path, manifest)
    assert read_manifest(path) == manifest
    assert path.read_text(encoding="utf-8").startswith("#")
    assert _temp_files(tmp_path) == []


def test_write_replaces_the_previous_manifest(tmp_path: Path) -> None:
    path = tmp_path / ".project.yaml"
    write_manifest(path, _manifest(name="first"))
    write_manifest(path, _manifest(name="second"))
    manifest = read_manifest(path)
    assert manifest is not None
    assert manifest.name == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".project.yaml"]


def test_read_manifest_missing_is_none(tmp_path: Path) -> None:
    assert read_manifest(tmp_path / ".project.yaml") is None
    assert read_manifest(tmp_path / "no-such-folder" / ".project.yaml") is None


@pytest.mark.parametrize(
    "content",
    [
        "::: not yaml [",
        "just a string",
        "- a\n- list\n",
        "",
        "name: x\ncreated_at: 2026-01-01T00:00:00+00:00\n",  # no id
        "id: seven\nname: x\ncreated_at: 2026-01-01T00:00:00+00:00\n",
        "id: 1\nname: x\ncreated_at: yesterday\n",
        "id: 1\nname: x\n",  # no created_at
        "id: 1\nname: x\ncreated_at: 2026-01-01T00:00:00+00:00\nversion: new\n",
    ],
)
def test_read_manifest_garbage_raises(tmp_path: Path, content: str) -> None:
    path = tmp_path / ".project.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError):
        read_manifest(path)


def test_read_manifest_binary_garbage_raises(tmp_path: Path) -> None:
    path = tmp_path / ".project.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    with pytest.raises(ManifestError):
        read_manifest(path)


def test_read_manifest_refuses_python_tags(tmp_path: Path) -> None:
    path = tmp_path / ".project.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ManifestError):
        read_manifest(path)


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "old"
    assert _temp_files(tmp_path) == []
