"""A backup of a deleted project, put back into the library (under its old folder name or another):
it carries the deleted project's id in its manifest, and it becomes a new project, indexed and
kept; nothing moves it out or purges it. A folder still waiting for its deletion is left to it."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from contactsheet.clock import utcnow
from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import TrashEntry
from contactsheet.library.manifest import read_manifest
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    make_project,
    make_samples,
    photos,
    project_row,
    projects,
    run_all,
    run_next,
    runner,
    start,
    store,
    tree,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("backup-samples"))


def originals(tree_: dict[str, str]) -> dict[str, str]:
    return {n: d for n, d in tree_.items() if not n.startswith((".thumb/", ".preview/", "."))}


@pytest.mark.parametrize("folder", ["Wedding", "Wedding from the backup disk"])
def test_a_restored_backup_of_a_deleted_project_becomes_a_new_project(
    admin: TestClient,
    runtime: Runtime,
    samples: Samples,
    tmp_path_factory: pytest.TempPathFactory,
    folder: str,
) -> None:
    project = make_project(runtime, "Wedding")
    store(runtime, project, {"W1.JPG": samples.jpg, "W1.DNG": samples.raw})
    run_all(runtime)
    backup = tmp_path_factory.mktemp("backup") / "Wedding"
    shutil.copytree(runtime.paths.project_dir("Wedding"), backup)  # the user's own backup
    assert admin.delete("/api/projects/Wedding").status_code == 200
    run_all(runtime)
    assert project_row(runtime, project.id).status == ProjectStatus.ARCHIVED
    assert not runtime.paths.project_dir("Wedding").exists()

    restored = runtime.paths.projects_root / folder
    shutil.copytree(backup, restored)
    manifest = read_manifest(restored / ".project.yaml")
    assert manifest is not None and manifest.id == project.id  # the deleted project's id
    files = originals(tree(restored))

    start(runtime, "folder_discovery")
    run_all(runtime)

    [adopted] = [p for p in projects(runtime) if p.status == ProjectStatus.ACTIVE]
    assert adopted.id != project.id and adopted.folder == folder
    assert adopted.name == "Wedding"
    rewritten = read_manifest(restored / ".project.yaml")
    assert rewritten is not None and rewritten.id == adopted.id
    assert {b: p.filenames for b, p in photos(runtime, adopted.id).items()} == {
        "W1": ["W1.DNG", "W1.JPG"]
    }
    assert project_row(runtime, project.id).status == ProjectStatus.ARCHIVED

    # A day and more later, every maintenance has run: the backup is still there, whole.
    with runtime.db.write() as session:
        session.execute(update(TrashEntry).values(trashed_at=utcnow() - timedelta(hours=25)))
    for task in ("project_scavenge_global", "maintenance_global", "folder_discovery"):
        start(runtime, task)
    run_all(runtime)
    start(runtime, "project_scavenge_global")
    run_all(runtime)
    now = project_row(runtime, adopted.id)  # alignment may have given it the name's folder
    assert now.status == ProjectStatus.ACTIVE
    assert originals(tree(runtime.paths.project_dir(now.folder))) == files
    assert admin.get(f"/api/projects/{now.folder}").json()["photo_count"] == 1
    assert list(runtime.paths.deleted_projects_root.iterdir()) == [], "the deleted one is purged"


def test_a_folder_waiting_for_its_deletion_is_not_adopted(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Going")
    store(runtime, project, {"G1.JPG": samples.jpg})
    assert admin.delete("/api/projects/Going").status_code == 200
    # The deletion has started (its first step is claimed) when discovery runs.
    deleter = runner(runtime)
    held = runtime.queue.claim(deleter.name)
    assert held is not None and held.type == "project_stop_processes"
    start(runtime, "folder_discovery")
    result = run_next(runtime, "folder_discovery").result
    assert result is not None and result["adopted"] == []
    assert [s["folder"] for s in result["skipped"]] == ["Going"]
    deleter.run_one(held)
    run_all(runtime)
    assert not runtime.paths.project_dir("Going").exists()
    assert [p.id for p in projects(runtime)] == [project.id]
    [moved] = runtime.paths.deleted_projects_root.iterdir()
    assert (moved / "G1.JPG").read_bytes() == samples.jpg.read_bytes()
