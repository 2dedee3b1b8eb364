"""A link on disk that leads out of the library is never followed: moves, commits, indexing and
discovery neither read, write, link nor unlink anything outside the data folder.

Such links appear when someone "saves space" by pointing `.thumb` at another disk, or when a
folder copied in by hand carries links. The outside folder here holds files named exactly like the
ones the app would touch, so following the link would show as a changed outside tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from contactsheet.db.enums import DerivativeStatus, ItemStatus, JobStatus
from contactsheet.db.tables import Derivative, JobItem, Photo, Project
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    jobs,
    make_project,
    make_samples,
    photos,
    projects,
    run_all,
    set_decisions,
    start,
    store,
    thumbnail,
    tree,
    visible,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("symlink-samples"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the library, never to be changed by the app."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "keep.txt").write_text("someone else's file", encoding="utf-8")
    return folder


def link_out(runtime: Runtime, project: Project, sub: str, outside: Path) -> Path:
    """Replace `<project>/<sub>` by a link to `outside`, carrying over what it held."""
    inside = runtime.paths.project_dir(project.folder) / sub
    for entry in inside.iterdir():
        shutil.copyfile(entry, outside / entry.name)
    shutil.rmtree(inside)
    inside.symlink_to(outside, target_is_directory=True)
    return inside


def item_errors(runtime: Runtime, job_type: str) -> list[str | None]:
    """The error of every failed item of the finished jobs of `job_type`."""
    (job,) = jobs(runtime, job_type, JobStatus.COMPLETED)
    with runtime.db.read() as session:
        items = session.scalars(
            select(JobItem).where(JobItem.job_id == job.id, JobItem.status == ItemStatus.FAILED)
        )
        return [item.error for item in items]


def move(runtime: Runtime, ids: list[int], dest: Project) -> None:
    start(
        runtime,
        "image_move",
        project_id=dest.id,
        payload={"photo_ids": ids, "dest_project_id": dest.id},
    )
    run_all(runtime)


def test_a_move_does_not_unlink_derivatives_through_a_linked_folder(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    source, dest = make_project(runtime, "Linked from"), make_project(runtime, "Plain to")
    store(runtime, source, {"IMG_0001.JPG": samples.jpg})
    run_all(runtime)
    assert thumbnail(runtime, source.folder, "IMG_0001").is_file()
    link_out(runtime, source, ".thumb", outside)
    before = tree(outside)
    assert "IMG_0001.webp" in before or "IMG_0001.jpg" in before

    move(runtime, [photos(runtime, source.id)["IMG_0001"].id], dest)

    assert tree(outside) == before, "a file outside the library was changed"
    dest_dir = runtime.paths.project_dir(dest.folder)
    # The original moved; no derivative was taken from outside (the cache is made again here).
    assert visible(dest_dir) == ["IMG_0001.JPG"]
    assert set(photos(runtime, dest.id)) == {"IMG_0001"}
    assert all(not p.is_symlink() for p in (dest_dir / ".thumb").iterdir())


def test_a_move_does_not_write_through_a_linked_folder_at_the_destination(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    source, dest = make_project(runtime, "Plain from"), make_project(runtime, "Linked to")
    store(runtime, source, {"IMG_0002.JPG": samples.jpg})
    run_all(runtime)
    link_out(runtime, dest, ".thumb", outside)
    link_out(runtime, dest, ".preview", outside)
    before = tree(outside)

    move(runtime, [photos(runtime, source.id)["IMG_0002"].id], dest)

    assert tree(outside) == before, "the app wrote outside the library"
    # The photo is refused whole, with the reason: its record and its files stay together.
    assert set(photos(runtime, source.id)) == {"IMG_0002"}
    assert visible(runtime.paths.project_dir(source.folder)) == ["IMG_0002.JPG"]
    assert visible(runtime.paths.project_dir(dest.folder)) == []
    assert thumbnail(runtime, source.folder, "IMG_0002").is_file()
    (error,) = item_errors(runtime, "image_move_files")
    assert error is not None and ".thumb is a link" in error


def test_a_commit_does_not_trash_into_a_linked_folder(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    project = make_project(runtime, "Linked trash")
    store(runtime, project, {"IMG_0003.JPG": samples.jpg, "IMG_0003.DNG": samples.raw})
    run_all(runtime)
    link_out(runtime, project, ".trash", outside)
    before = tree(outside)
    set_decisions(runtime, photos(runtime, project.id)["IMG_0003"].id, keep_jpg=False)

    start(runtime, "change_commit", project_id=project.id)
    run_all(runtime)

    assert tree(outside) == before, "a trashed file left the library"
    # The file the user let go of is not destroyed either: it stays where it was.
    directory = runtime.paths.project_dir(project.folder)
    assert (directory / "IMG_0003.JPG").read_bytes() == samples.jpg.read_bytes()
    assert (directory / "IMG_0003.DNG").is_file()
    assert set(photos(runtime, project.id)) == {"IMG_0003"}
    (error,) = item_errors(runtime, "file_removal")
    assert error is not None and ".trash is a link" in error


def test_indexing_ignores_a_photo_that_is_a_link_out_of_the_library(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    project = make_project(runtime, "Linked file")
    shutil.copyfile(samples.jpg, outside / "elsewhere.jpg")
    directory = runtime.paths.project_dir(project.folder)
    (directory / "IMG_0004.JPG").symlink_to(outside / "elsewhere.jpg")
    samples.copy("jpg_other", directory / "IMG_0005.JPG")
    before = tree(outside)

    start(runtime, "folder_check", project_id=project.id)
    run_all(runtime)

    assert set(photos(runtime, project.id)) == {"IMG_0005"}
    assert tree(outside) == before
    assert not jobs(runtime, "folder_check", JobStatus.FAILED)


def test_discovery_does_not_adopt_a_linked_project_folder(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    samples.copy("jpg", outside / "IMG_0006.JPG")
    (runtime.paths.projects_root / "Somewhere else").symlink_to(outside, target_is_directory=True)
    real = runtime.paths.projects_root / "Copied in"
    samples.copy("jpg", real / "IMG_0007.JPG")
    before = tree(outside)

    start(runtime, "folder_discovery")
    run_all(runtime)

    assert [p.name for p in projects(runtime)] == ["Copied in"]
    assert tree(outside) == before, "discovery wrote a manifest or derivatives outside"
    assert not jobs(runtime, "folder_discovery", JobStatus.FAILED)


def test_no_thumbnail_is_written_through_a_linked_folder(
    runtime: Runtime, samples: Samples, outside: Path
) -> None:
    project = make_project(runtime, "Linked cache")
    link_out(runtime, project, ".thumb", outside)
    before = tree(outside)

    store(runtime, project, {"IMG_0008.JPG": samples.jpg})
    run_all(runtime)

    assert tree(outside) == before, "a thumbnail was written outside the library"
    with runtime.db.read() as session:
        (photo_id,) = session.scalars(select(Photo.id).where(Photo.project_id == project.id))
        made = {
            d.kind: d
            for d in session.scalars(select(Derivative).where(Derivative.photo_id == photo_id))
        }
    assert made["preview"].status == DerivativeStatus.GENERATED
    assert made["thumbnail"].status == DerivativeStatus.FAILED
    assert ".thumb is a link" in (made["thumbnail"].error or "")


def test_a_cache_whose_folder_became_a_link_is_not_trusted_nor_served(
    runtime: Runtime, admin: TestClient, samples: Samples, outside: Path
) -> None:
    project = make_project(runtime, "Linked later")
    store(runtime, project, {"IMG_0009.JPG": samples.jpg})
    run_all(runtime)
    link_out(runtime, project, ".thumb", outside)  # the same bytes, now on the other side
    before = tree(outside)

    start(runtime, "maintenance", project_id=project.id)
    run_all(runtime)

    assert not jobs(runtime, "cache_validation", JobStatus.FAILED)
    with runtime.db.read() as session:
        record = session.scalars(select(Derivative).where(Derivative.kind == "thumbnail")).one()
    assert record.status == DerivativeStatus.FAILED
    assert ".thumb is a link" in (record.error or "")
    response = admin.get(f"/api/projects/{project.folder}/thumbnail/IMG_0009")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_path"
    assert ".thumb is a link" in response.json()["error"]["message"]
    assert admin.get(f"/api/projects/{project.folder}/preview/IMG_0009").status_code == 200
    assert tree(outside) == before
