"""Renaming a project whose folder was renamed by hand before discovery followed it: the rename
finds the folder by its manifest id, or refuses clearly; it never makes the old folder again (which
would leave the rows with an empty folder and make the real one a stranger)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contactsheet.db.enums import Pick
from contactsheet.library.atomic import TEMP_PREFIX, atomic_write_text
from contactsheet.library.manifest import read_manifest
from contactsheet.runtime import Runtime
from tests.catalogsupport import error_code
from tests.ingestsupport import (
    Samples,
    decisions,
    make_project,
    make_samples,
    photos,
    project_row,
    projects,
    run_all,
    set_decisions,
    start,
    store,
    visible,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("rename-samples"))


def test_an_atomic_write_never_makes_its_folder(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "deeper"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_text(missing / ".project.yaml", "id: 1\n")
    assert not (tmp_path / "gone").exists()
    assert list(tmp_path.rglob(f"{TEMP_PREFIX}*")) == []


def test_rename_follows_a_folder_renamed_by_hand(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Alpha")
    store(runtime, project, {"A1.JPG": samples.jpg, "A1.DNG": samples.raw})
    set_decisions(runtime, photos(runtime, project.id)["A1"].id, keep_raw=False, rating=4)
    run_all(runtime)
    before = {b: (p.id, decisions(p)) for b, p in photos(runtime, project.id).items()}
    old = runtime.paths.project_dir("Alpha")
    os.rename(old, old.with_name("Alpha by hand"))

    response = admin.patch("/api/projects/Alpha", json={"name": "Gamma"})

    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["folder"]) == ("Gamma", "Alpha by hand")
    assert not old.exists(), "the old folder was made again"
    manifest = read_manifest(runtime.paths.manifest_path("Alpha by hand"))
    assert manifest is not None and (manifest.id, manifest.name) == (project.id, "Gamma")

    # Then alignment renames the real folder, and discovery finds nothing new.
    run_all(runtime)
    start(runtime, "folder_discovery")
    run_all(runtime)
    [only] = projects(runtime)
    assert (only.id, only.name, only.folder) == (project.id, "Gamma", "Gamma")
    directory = runtime.paths.project_dir("Gamma")
    assert visible(directory) == ["A1.DNG", "A1.JPG"]
    assert sorted(p.name for p in runtime.paths.projects_root.iterdir()) == ["Gamma"]
    after = {b: (p.id, decisions(p)) for b, p in photos(runtime, project.id).items()}
    assert after == before and after["A1"][1]["keep_raw"] is False
    assert admin.get("/api/projects/Gamma").json()["photo_count"] == 1


def test_rename_of_a_project_whose_folder_is_nowhere_is_refused(
    admin: TestClient, runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    project = make_project(runtime, "Unplugged")
    store(runtime, project, {"U1.JPG": samples.jpg})
    set_decisions(runtime, photos(runtime, project.id)["U1"].id, pick=Pick.PICKED)
    old = runtime.paths.project_dir("Unplugged")
    os.rename(old, tmp_path / "on another disk")  # gone from the library for now

    response = admin.patch("/api/projects/Unplugged", json={"name": "Renamed meanwhile"})

    assert error_code(response, 409) == "conflict"
    assert "Unplugged" in response.json()["error"]["message"]
    assert not old.exists(), "the old folder was made again"
    assert project_row(runtime, project.id).name == "Unplugged"

    # Plugged back in, everything is where it was, and the rename works.
    os.rename(tmp_path / "on another disk", old)
    response = admin.patch("/api/projects/Unplugged", json={"name": "Renamed meanwhile"})
    assert response.status_code == 200, response.text
    run_all(runtime)
    row = project_row(runtime, project.id)
    assert (row.name, row.folder) == ("Renamed meanwhile", "Renamed meanwhile")
    assert photos(runtime, project.id)["U1"].pick == Pick.PICKED
