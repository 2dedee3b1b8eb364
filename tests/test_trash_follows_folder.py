"""Trash records follow their project's folder: after a rename (by the app's folder alignment, or by
hand and followed by discovery) a trashed file is still restored where it belongs, and purged from
where it really is. Purge never forgets a file it can still find."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from contactsheet.clock import utcnow
from contactsheet.db.tables import Project, TrashEntry
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    make_project,
    make_samples,
    photos,
    project_row,
    run_all,
    set_decisions,
    start,
    store,
    visible,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("trash-samples"))


def trash_a_raw(runtime: Runtime, samples: Samples, name: str) -> tuple[Project, TrashEntry]:
    """A project whose photo's RAW was committed away: one file in its `.trash`."""
    project = make_project(runtime, name)
    store(runtime, project, {"K1.JPG": samples.jpg, "K1.DNG": samples.raw})
    set_decisions(runtime, photos(runtime, project.id)["K1"].id, keep_raw=False)
    start(runtime, "change_commit", project_id=project.id)
    run_all(runtime)
    with runtime.db.read() as session:
        [entry] = session.scalars(select(TrashEntry).where(TrashEntry.project_id == project.id))
    assert (runtime.paths.root / entry.trash_path).is_file()
    return project, entry


def entry_row(runtime: Runtime, entry_id: int) -> TrashEntry:
    with runtime.db.read() as session:
        return session.get_one(TrashEntry, entry_id)


def rename_by_app(admin: TestClient, runtime: Runtime, project: Project, name: str) -> str:
    response = admin.patch(f"/api/projects/{project.folder}", json={"name": name})
    assert response.status_code == 200, response.text
    run_all(runtime)  # the folder_alignment task the rename queued
    folder = project_row(runtime, project.id).folder
    assert folder != project.folder and runtime.paths.project_dir(folder).is_dir()
    return folder


def rename_by_hand(runtime: Runtime, project: Project, folder: str) -> str:
    old = runtime.paths.project_dir(project.folder)
    os.rename(old, old.with_name(folder))
    start(runtime, "folder_discovery")
    run_all(runtime)
    assert project_row(runtime, project.id).folder == folder
    return folder


def restore(admin: TestClient, entry_id: int) -> dict[str, object]:
    response = admin.post("/api/trash/restore", json={"ids": [entry_id]})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def expire(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        session.execute(update(TrashEntry).values(trashed_at=utcnow() - timedelta(hours=25)))


def purge(runtime: Runtime) -> None:
    start(runtime, "maintenance_global")
    run_all(runtime)


def trash_files(runtime: Runtime) -> list[Path]:
    return sorted(runtime.paths.projects_root.glob("*/.trash/*"))


@pytest.mark.parametrize("how", ["alignment", "by hand"])
def test_restore_after_a_folder_rename(
    admin: TestClient, runtime: Runtime, samples: Samples, how: str
) -> None:
    project, entry = trash_a_raw(runtime, samples, "Before")
    raw = samples.raw.read_bytes()
    if how == "alignment":
        folder = rename_by_app(admin, runtime, project, "After")
    else:
        folder = rename_by_hand(runtime, project, "After by hand")
    directory = runtime.paths.project_dir(folder)
    assert not runtime.paths.project_dir("Before").exists()

    listed = admin.get("/api/trash", params={"project": folder}).json()["items"]
    assert [i["original_path"] for i in listed] == [
        str((directory / "K1.DNG").relative_to(runtime.paths.root))
    ]
    answer = restore(admin, entry.id)
    assert answer["failed"] == [], answer
    assert (directory / "K1.DNG").read_bytes() == raw
    assert list((directory / ".trash").iterdir()) == []
    assert not runtime.paths.project_dir("Before").exists(), "the old folder came back"
    run_all(runtime)  # folder_check indexes it again
    assert photos(runtime, project.id)["K1"].filenames == ["K1.DNG", "K1.JPG"]


@pytest.mark.parametrize("how", ["alignment", "by hand"])
def test_purge_after_a_folder_rename_removes_the_file(
    admin: TestClient, runtime: Runtime, samples: Samples, how: str
) -> None:
    project, entry = trash_a_raw(runtime, samples, "Purged")
    if how == "alignment":
        folder = rename_by_app(admin, runtime, project, "Purged later")
    else:
        folder = rename_by_hand(runtime, project, "Purged by hand")
    [trashed] = trash_files(runtime)
    assert trashed.parent.parent.name == folder

    expire(runtime)
    purge(runtime)

    assert trash_files(runtime) == []
    assert entry_row(runtime, entry.id).purged_at is not None
    # (Maintenance also aligned a folder renamed by hand with the project's name again.)
    assert visible(runtime.paths.project_dir(project_row(runtime, project.id).folder)) == ["K1.JPG"]


def test_purge_waits_while_the_folder_is_renamed_and_not_yet_followed(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project, entry = trash_a_raw(runtime, samples, "Wandering")
    old = runtime.paths.project_dir(project.folder)
    os.rename(old, old.with_name("Wandered"))
    expire(runtime)

    # The purge step runs before the folder is followed in the same run: it waits, and the file
    # is kept, now in the followed folder (aligned with the project's name again).
    purge(runtime)

    [trashed] = trash_files(runtime)
    assert trashed.is_file() and trashed.parent.parent.name == "Wandering"
    assert entry_row(runtime, entry.id).purged_at is None, "marked gone, file left forever"

    purge(runtime)
    assert trash_files(runtime) == []
    assert entry_row(runtime, entry.id).purged_at is not None


def test_a_stale_record_is_found_in_the_projects_current_folder(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    """A record written before the folder moved (by an older version, or a crash between the
    rename and its record) still leads to the file."""
    project, entry = trash_a_raw(runtime, samples, "Stale")
    folder = rename_by_app(admin, runtime, project, "Stale renamed")
    with runtime.db.write() as session:
        row = session.get_one(TrashEntry, entry.id)
        row.trash_path, row.original_path = entry.trash_path, entry.original_path
    assert not (runtime.paths.root / entry.trash_path).exists()

    answer = restore(admin, entry.id)
    assert answer["failed"] == [], answer
    assert (runtime.paths.project_dir(folder) / "K1.DNG").read_bytes() == samples.raw.read_bytes()
    assert not runtime.paths.project_dir("Stale").exists()


def test_a_deleted_projects_trashed_files_are_settled_by_its_folders_purge(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project, entry = trash_a_raw(runtime, samples, "Deleted with trash")
    assert admin.delete(f"/api/projects/{project.folder}").status_code == 200
    run_all(runtime)
    [deleted] = sorted(runtime.paths.deleted_projects_root.iterdir())
    trashed = deleted / ".trash" / Path(entry.trash_path).name
    assert trashed.is_file()
    expire(runtime)

    purge(runtime)  # the file left with its project's folder, which may still be restored
    assert trashed.is_file() and entry_row(runtime, entry.id).purged_at is None

    start(runtime, "project_scavenge_global")
    run_all(runtime)
    assert not deleted.exists()
    assert entry_row(runtime, entry.id).purged_at is not None


def test_restore_never_makes_a_missing_project_folder_again(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project, entry = trash_a_raw(runtime, samples, "Gone for now")
    old = runtime.paths.project_dir(project.folder)
    os.rename(old, old.with_name("Elsewhere"))

    answer = restore(admin, entry.id)
    assert answer["restored"] == []
    [failed] = answer["failed"]  # type: ignore[misc]
    assert failed["error"]["code"] == "conflict" and "missing" in failed["error"]["message"]
    assert not old.exists(), "the old folder was made again"
    assert entry_row(runtime, entry.id).restored_at is None
