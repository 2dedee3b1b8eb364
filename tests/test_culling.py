"""Culling with real files (docs/catalog.md): keep flags, commit to `.trash`, revert, and a commit
that is safe to run again after a crash. Files are uploaded through the API and jobs really run."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageStat
from sqlalchemy import select

from contactsheet.catalog.commit import commit_photo
from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative, Event, Job, Photo, Project, TrashEntry
from contactsheet.runtime import Runtime
from tests import imagefactory
from tests.catalogsupport import (
    assert_task_completed,
    new_project,
    photos_by_basename,
    run_jobs,
    snapshot,
    upload,
    visible_files,
)

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>\n'
DERIVED = (".thumb", ".preview")


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Distinct bytes for every file, so a trashed file can be told from another."""
    folder = tmp_path_factory.mktemp("culling")
    made: dict[str, bytes] = {}
    for i in range(1, 8):
        made[f"A{i}.JPG"] = imagefactory.jpeg(folder / f"{i}.jpg", 300 + i, 200).read_bytes()
        made[f"A{i}.DNG"] = imagefactory.dng_with_preview(
            folder / f"{i}.dng", 400 + 2 * i, 266, 400 + 2 * i
        ).read_bytes()
    return made


def files_of(samples: dict[str, bytes], *names: str) -> list[tuple[str, bytes]]:
    return [(name, samples[name]) for name in names]


def keep(admin: TestClient, photo_id: int, **flags: bool) -> None:
    response = admin.post("/api/photos/keep", json={"items": [{"photo_id": photo_id, **flags}]})
    assert response.status_code == 200, response.text
    assert response.json()["failed"] == []


def start_task(admin: TestClient, folder: str, task_type: str) -> int:
    response = admin.post(f"/api/projects/{folder}/tasks", json={"task_type": task_type})
    assert response.status_code == 202, response.text
    return int(response.json()["task_id"])


def derivatives(runtime: Runtime, photo_id: int) -> dict[str, Derivative]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Derivative).where(Derivative.photo_id == photo_id))
        return {d.kind: d for d in rows}


def events(runtime: Runtime, kind: str) -> list[Event]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Event).where(Event.type == kind).order_by(Event.id)))


def trash_entries(runtime: Runtime, project_id: int) -> list[TrashEntry]:
    with runtime.db.read() as session:
        query = select(TrashEntry).where(TrashEntry.project_id == project_id)
        return list(session.scalars(query.order_by(TrashEntry.id)))


def derived(files: dict[str, bytes], basename: str) -> list[str]:
    """The photo's derivative files among `files` (whatever format each kind is written in)."""
    return sorted(
        name for name in files if Path(name).parent.name in DERIVED and Path(name).stem == basename
    )


def derivative_file(directory: Path, sub: str, basename: str) -> Path:
    [path] = [p for p in (directory / sub).iterdir() if p.stem == basename]
    return path


def relative(runtime: Runtime, path: Path) -> str:
    return str(path.relative_to(runtime.paths.root))


def mean_colour(path: Path) -> tuple[float, ...]:
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        return tuple(ImageStat.Stat(image.convert("RGB")).mean)


def pending(admin: TestClient) -> dict[str, Any]:
    response = admin.get("/api/photos/pending-deletes")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_commit_leaves_exactly_the_kept_files(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    project = new_project(admin, "Culling")
    folder, project_id = project["folder"], project["id"]
    directory = runtime.paths.project_dir(folder)
    names = [
        "A1.JPG",
        "A1.DNG",
        "A2.JPG",
        "A2.DNG",
        "A3.JPG",
        "A3.DNG",
        "A4.JPG",
        "A4.DNG",
        "A5.JPG",
        "A6.DNG",
        "A7.JPG",
    ]
    upload(admin, folder, files_of(samples, *names))
    for basename in ("A2", "A3", "A4"):  # sidecars, written by another program and indexed
        (directory / f"{basename}.xmp").write_bytes(XMP + basename.encode())
    start_task(admin, folder, "folder_check")
    run_jobs(runtime)
    photos = photos_by_basename(runtime, project_id)
    assert photos["A4"].filenames == ["A4.DNG", "A4.JPG", "A4.xmp"]
    ids = {name: photo.id for name, photo in photos.items()}
    for photo_id in ids.values():
        assert {k: d.status for k, d in derivatives(runtime, photo_id).items()} == {
            "thumbnail": DerivativeStatus.GENERATED,
            "preview": DerivativeStatus.GENERATED,
        }
    originals = snapshot(directory)
    for basename in photos:
        assert len(derived(originals, basename)) == 2
    jpg_thumbnail = mean_colour(derivative_file(directory, ".thumb", "A3"))

    keep(admin, ids["A2"], keep_raw=False)  # JPG only
    keep(admin, ids["A3"], keep_jpg=False)  # RAW only
    keep(admin, ids["A4"], keep_jpg=False, keep_raw=False)  # neither
    keep(admin, ids["A5"], keep_jpg=False)  # a JPG-only photo discarded
    counts = pending(admin)
    assert counts["total"] == {"photos": 4, "jpg": 3, "raw": 2}
    assert counts["by_project"] == [
        {"project": folder, "project_id": project_id, "photos": 4, "jpg": 3, "raw": 2}
    ]
    assert snapshot(directory) == originals  # nothing happens before the commit

    response = admin.post(f"/api/projects/{folder}/commit-changes")
    assert response.status_code == 202, response.text
    [task] = response.json()["tasks"]
    run_jobs(runtime)
    assert_task_completed(runtime, task["task_id"])

    assert visible_files(directory) == sorted(
        ["A1.DNG", "A1.JPG", "A2.JPG", "A2.xmp", "A3.DNG", "A3.xmp", "A6.DNG", "A7.JPG"]
    )
    gone = ["A2.DNG", "A3.JPG", "A4.JPG", "A4.DNG", "A4.xmp", "A5.JPG"]
    gone += [name for b in ("A3", "A4", "A5") for name in derived(originals, b)]
    entries = trash_entries(runtime, project_id)
    by_original = {e.original_path: e for e in entries}
    assert len(by_original) == len(entries)
    assert set(by_original) == {relative(runtime, directory / name) for name in gone}
    for name in gone:
        entry = by_original[relative(runtime, directory / name)]
        assert entry.reason == "commit" and entry.restored_at is None
        trashed = runtime.paths.root / entry.trash_path
        assert trashed.parent == runtime.paths.trash_dir(folder)
        assert trashed.read_bytes() == originals[name], name  # restorable, byte for byte
        assert entry.size == len(originals[name])
        if Path(name).stem != "A3":  # A3's derivatives are made again, from its RAW
            assert not (directory / name).exists()
    in_trash = {p.name for p in runtime.paths.trash_dir(folder).iterdir()}
    assert in_trash == {Path(e.trash_path).name for e in entries}

    after = photos_by_basename(runtime, project_id)
    assert set(after) == {"A1", "A2", "A3", "A6", "A7"}
    assert after["A2"].filenames == ["A2.JPG", "A2.xmp"]
    assert (after["A2"].jpg_available, after["A2"].raw_available) == (True, False)
    assert (after["A2"].keep_jpg, after["A2"].keep_raw) == (True, False)
    assert after["A3"].filenames == ["A3.DNG", "A3.xmp"]
    assert (after["A3"].jpg_available, after["A3"].raw_available) == (False, True)
    assert after["A3"].file_size == len(samples["A3.DNG"]) + len(originals["A3.xmp"])
    with runtime.db.read() as session:  # their derivative records went with them
        assert (
            session.scalars(
                select(Derivative).where(Derivative.photo_id.in_([ids["A4"], ids["A5"]]))
            ).all()
            == []
        )

    # The JPG went: A3's derivatives were remade from the DNG.
    regenerated = derivatives(runtime, ids["A3"])
    for kind in ("thumbnail", "preview"):
        record = regenerated[kind]
        assert record.status == DerivativeStatus.GENERATED
        assert record.source_name == "A3.DNG"
        assert str(record.params["decoded_with"]).startswith("libraw")
        path = derivative_file(directory, ".thumb" if kind == "thumbnail" else ".preview", "A3")
        assert path.stat().st_size == record.file_size
    raw_thumbnail = mean_colour(derivative_file(directory, ".thumb", "A3"))
    assert abs(raw_thumbnail[0] - raw_thumbnail[1]) > 60 > abs(jpg_thumbnail[0] - jpg_thumbnail[1])
    # The JPG stayed for the others: their derivatives were not touched.
    for basename in ("A1", "A2", "A7"):
        for name in derived(originals, basename):
            assert (directory / name).read_bytes() == originals[name]

    removed = {e.data["photo_id"] for e in events(runtime, "item_removed")}
    assert removed == {ids["A4"], ids["A5"]}
    states = events(runtime, "pending_changes_state")
    assert states and states[-1].channel == "pending-changes"
    # One shape for every cause (keep flags, commit, revert): an entry per project, zeros at last.
    nothing = {"project": folder, "project_id": project_id, "photos": 0, "jpg": 0, "raw": 0}
    assert states[-1].data == {"projects": [nothing], "project_ids": [project_id]}
    assert all(set(e.data) == {"projects", "project_ids"} for e in states)
    assert pending(admin)["total"] == {"photos": 0, "jpg": 0, "raw": 0}

    listing = admin.get(
        f"/api/projects/{folder}/photos", params={"sort": "filename", "dir": "asc"}
    ).json()
    assert [i["basename"] for i in listing["items"]] == ["A1", "A2", "A3", "A6", "A7"]
    assert {i["thumbnail_status"] for i in listing["items"]} == {"generated"}
    assert admin.get(f"/api/projects/{folder}/thumbnail/A3").status_code == 200
    assert admin.get(f"/api/projects/{folder}/thumbnail/A4").status_code == 404

    # Restoring the discarded photo's JPG brings the photo back (indexed by folder_check).
    entry = by_original[relative(runtime, directory / "A5.JPG")]
    restored = admin.post("/api/trash/restore", json={"ids": [entry.id]}).json()
    assert restored["failed"] == [] and restored["restored"][0]["path"] == entry.original_path
    assert (directory / "A5.JPG").read_bytes() == samples["A5.JPG"]
    run_jobs(runtime)
    back = photos_by_basename(runtime, project_id)["A5"]
    assert back.filenames == ["A5.JPG"] and back.keep_jpg and back.id != ids["A5"]


def test_revert_resets_flags_and_touches_no_file(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    first, second = new_project(admin, "Revert one"), new_project(admin, "Revert two")
    upload(admin, first["folder"], files_of(samples, "A1.JPG", "A1.DNG", "A5.JPG", "A6.DNG"))
    upload(admin, second["folder"], files_of(samples, "A2.JPG", "A2.DNG"))
    run_jobs(runtime)
    ids = {**photos_by_basename(runtime, first["id"]), **photos_by_basename(runtime, second["id"])}
    before = snapshot(runtime.paths.projects_root)
    keep(admin, ids["A1"].id, keep_jpg=False, keep_raw=False)
    keep(admin, ids["A5"].id, keep_jpg=False)
    keep(admin, ids["A2"].id, keep_raw=False)
    assert pending(admin)["total"]["photos"] == 3

    dry = admin.post(f"/api/projects/{first['folder']}/revert-changes", json={"dry_run": True})
    assert dry.json()["reverted"] == 0 and pending(admin)["total"]["photos"] == 3
    response = admin.post(f"/api/projects/{first['folder']}/revert-changes")
    assert response.status_code == 200, response.text
    assert response.json()["reverted"] == 2
    assert [p["project"] for p in pending(admin)["by_project"]] == [second["folder"]]
    everywhere = admin.post("/api/photos/revert-changes", json={})
    assert everywhere.json()["reverted"] == 1
    for basename, photo in photos_by_basename(runtime, first["id"]).items():
        assert (photo.keep_jpg, photo.keep_raw) == (photo.jpg_available, photo.raw_available)
        assert photo.filenames == ids[basename].filenames
    a2 = photos_by_basename(runtime, second["id"])["A2"]
    assert (a2.keep_jpg, a2.keep_raw) == (True, True)
    assert snapshot(runtime.paths.projects_root) == before
    with runtime.db.read() as session:
        assert session.scalars(select(TrashEntry)).all() == []
    assert pending(admin)["total"] == {"photos": 0, "jpg": 0, "raw": 0}
    reverts = events(runtime, "pending_changes_state")[-2:]
    assert [e.data["project_ids"] for e in reverts] == [[first["id"]], [second["id"]]]
    assert all(p["photos"] == 0 for e in reverts for p in e.data["projects"])
    assert all(e.channel == "pending-changes" for e in reverts)
    # A commit with nothing pending starts nothing and moves nothing.
    nothing = admin.post(f"/api/projects/{first['folder']}/commit-changes")
    assert nothing.status_code == 202 and nothing.json()["tasks"] == []
    run_jobs(runtime)
    assert snapshot(runtime.paths.projects_root) == before


def test_commit_is_safe_to_run_again(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    project = new_project(admin, "Crashes")
    folder, project_id = project["folder"], project["id"]
    directory = runtime.paths.project_dir(folder)
    upload(admin, folder, files_of(samples, "A2.JPG", "A2.DNG", "A4.JPG", "A4.DNG", "A7.JPG"))
    run_jobs(runtime)
    ids = {name: p.id for name, p in photos_by_basename(runtime, project_id).items()}
    keep(admin, ids["A2"], keep_raw=False)
    keep(admin, ids["A4"], keep_jpg=False, keep_raw=False)
    originals = snapshot(directory)

    # A crash after A2's RAW reached the trash but before its row was updated: the file is gone,
    # the row still lists it. Committing that photo again finishes cleanly.
    by_hand = runtime.paths.trash_dir(folder) / "by-hand-A2.DNG"
    (directory / "A2.DNG").rename(by_hand)
    with runtime.db.read() as session:
        row = session.get_one(Project, project_id)
        assert session.get_one(Photo, ids["A2"]).filenames == ["A2.DNG", "A2.JPG"]
    assert commit_photo(runtime, row, ids["A2"]) == ("trimmed", ["A2.DNG"])
    a2 = photos_by_basename(runtime, project_id)["A2"]
    assert a2.filenames == ["A2.JPG"] and not a2.raw_available and not a2.keep_raw
    assert a2.file_size == len(samples["A2.JPG"])
    assert by_hand.read_bytes() == samples["A2.DNG"]
    assert commit_photo(runtime, row, ids["A2"]) == ("unchanged", [])

    # The task twice (a retry of a commit that already happened): the second finds nothing.
    with runtime.db.write() as session:
        first = runtime.queue.start_task(session, "change_commit", project_id=project_id)
        second = runtime.queue.start_task(session, "change_commit", project_id=project_id)
    run_jobs(runtime)
    assert_task_completed(runtime, first.task_id)  # type: ignore[arg-type]
    assert_task_completed(runtime, second.task_id)  # type: ignore[arg-type]
    with runtime.db.read() as session:
        results = [
            j.result
            for j in session.scalars(select(Job).where(Job.type == "file_removal").order_by(Job.id))
        ]
    assert results == [
        {"photos_removed": 1, "photos_trimmed": 0, "files_trashed": 2},
        {"photos_removed": 0, "photos_trimmed": 0, "files_trashed": 0},
    ]
    assert visible_files(directory) == ["A2.JPG", "A7.JPG"]
    assert set(photos_by_basename(runtime, project_id)) == {"A2", "A7"}
    entries = trash_entries(runtime, project_id)
    assert sorted(
        str(Path(e.original_path).relative_to(relative(runtime, directory))) for e in entries
    ) == sorted(["A4.JPG", "A4.DNG", *derived(originals, "A4")])
    for entry in entries:
        name = str(Path(entry.original_path).relative_to(relative(runtime, directory)))
        assert (runtime.paths.root / entry.trash_path).read_bytes() == originals[name]
    # A third run by the API has nothing to do.
    again = admin.post("/api/photos/commit-changes", json={})
    assert again.status_code == 202 and again.json()["tasks"] == []
