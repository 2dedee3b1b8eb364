"""Moving photos between projects, renaming a project (its folder follows, and settles), and
deleting a project with real files (docs/catalog.md). Files are uploaded and jobs really run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative, Event, Job, Photo
from contactsheet.library.manifest import read_manifest
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

DERIVED = (".thumb", ".preview")


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("moves")
    made = {}
    for i, name in enumerate(["M1", "M2", "M3", "M4", "D2", "R1", "R2"]):
        made[f"{name}.JPG"] = imagefactory.jpeg(folder / f"{name}.jpg", 320 + i, 240).read_bytes()
    for name in ("M4", "D3"):
        made[f"{name}.DNG"] = imagefactory.dng_with_preview(
            folder / f"{name}.dng", 400, 266, 400
        ).read_bytes()
    return made


def derived_of(directory: Path, basename: str) -> dict[str, bytes]:
    found = {}
    for sub in DERIVED:
        for path in (directory / sub).iterdir():
            if path.stem == basename:
                found[f"{sub}/{path.suffix}"] = path.read_bytes()
    return found


def derivative_records(runtime: Runtime, photo_id: int) -> dict[str, Derivative]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Derivative).where(Derivative.photo_id == photo_id))
        return {d.kind: d for d in rows}


def tags_of(admin: TestClient, folder: str) -> dict[str, int]:
    response = admin.get(f"/api/projects/{folder}/tags")
    assert response.status_code == 200, response.text
    return {t["name"]: t["photos"] for t in response.json()["items"]}


def post_ok(admin: TestClient, url: str, body: dict[str, Any], status: int = 200) -> Any:
    response = admin.post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def start_task(admin: TestClient, folder: str, task_type: str) -> int:
    body = post_ok(admin, f"/api/projects/{folder}/tasks", {"task_type": task_type}, 202)
    return int(body["task_id"])


def test_move_with_clash_join_derivatives_and_tags(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    source, dest = new_project(admin, "Source"), new_project(admin, "Destination")
    src_dir = runtime.paths.project_dir(source["folder"])
    dest_dir = runtime.paths.project_dir(dest["folder"])
    upload(
        admin,
        source["folder"],
        [(n, samples[n]) for n in ("M1.JPG", "M2.JPG", "M3.JPG", "M4.JPG", "M4.DNG")],
    )
    # Already at the destination, put there by another program: a JPG named like M2 (a clash)
    # and M3's RAW (M3's JPG joins it).
    (dest_dir / "M2.JPG").write_bytes(samples["D2.JPG"])
    (dest_dir / "M3.DNG").write_bytes(samples["D3.DNG"])
    start_task(admin, dest["folder"], "folder_check")
    run_jobs(runtime)
    moving = photos_by_basename(runtime, source["id"])
    there = photos_by_basename(runtime, dest["id"])
    assert set(there) == {"M2", "M3"}
    ids = {name: p.id for name, p in moving.items()}
    post_ok(
        admin,
        "/api/photos/tags/add",
        {"items": [{"photo_id": ids[n]} for n in ("M1", "M2", "M3")], "tags": ["Bride"]},
    )
    post_ok(
        admin, "/api/photos/tags/add", {"items": [{"photo_id": ids["M4"]}], "tags": ["Only here"]}
    )
    post_ok(
        admin, "/api/photos/tags/add", {"items": [{"photo_id": there["M2"].id}], "tags": ["bride"]}
    )
    post_ok(admin, "/api/photos/rating", {"items": [{"photo_id": ids["M3"]}], "rating": 4})
    post_ok(
        admin,
        "/api/photos/visibility",
        {"items": [{"photo_id": ids["M3"]}], "visibility": "public"},
    )
    moved_derivatives = {n: derived_of(src_dir, n) for n in ids}
    assert all(len(d) == 2 for d in moved_derivatives.values())
    dest_before = snapshot(dest_dir)
    # A derivative lost before the move is made again at the destination.
    [lost] = [p for p in (src_dir / ".thumb").iterdir() if p.stem == "M4"]
    lost.unlink()

    body = post_ok(
        admin,
        "/api/photos/move",
        {"items": [{"photo_id": i} for i in ids.values()], "dest_folder": dest["folder"]},
        202,
    )
    assert body["moving"] == sorted(ids.values()) and body["failed"] == []
    run_jobs(runtime)
    assert_task_completed(runtime, body["task_id"])

    # The source is empty: originals and derivatives left together.
    assert visible_files(src_dir) == []
    assert [p for sub in DERIVED for p in (src_dir / sub).iterdir()] == []
    assert photos_by_basename(runtime, source["id"]) == {}
    assert visible_files(dest_dir) == sorted(
        ["M1.JPG", "M2.JPG", "M2_2.JPG", "M3.DNG", "M3.JPG", "M4.DNG", "M4.JPG"]
    )
    for name, data in (
        ("M1.JPG", "M1.JPG"),
        ("M2_2.JPG", "M2.JPG"),
        ("M3.JPG", "M3.JPG"),
        ("M4.DNG", "M4.DNG"),
    ):
        assert (dest_dir / name).read_bytes() == samples[data]
    photos = photos_by_basename(runtime, dest["id"])
    assert set(photos) == {"M1", "M2", "M2_2", "M3", "M4"}

    # The clash: the moving photo became M2_2, files and derivatives renamed.
    duplicate = photos["M2_2"]
    assert duplicate.id == ids["M2"] and duplicate.filenames == ["M2_2.JPG"]
    assert duplicate.basename_key == "m2_2"
    assert derived_of(dest_dir, "M2_2") == moved_derivatives["M2"]
    # ... and the photo that was there is untouched: same row, same files, same derivatives.
    assert photos["M2"].id == there["M2"].id and photos["M2"].filenames == ["M2.JPG"]
    for name, data in dest_before.items():
        if Path(name).stem in ("M2",):
            assert (dest_dir / name).read_bytes() == data, name
    assert (dest_dir / "M2.JPG").read_bytes() == samples["D2.JPG"]

    # The join: M3's JPG met its RAW; one photo, the destination's row, with the mover's history.
    joined = photos["M3"]
    assert joined.id == there["M3"].id
    assert joined.filenames == ["M3.DNG", "M3.JPG"]
    assert (joined.jpg_available, joined.raw_available) == (True, True)
    assert (joined.keep_jpg, joined.keep_raw) == (True, True)
    assert (joined.rating, joined.visibility) == (4, "public")
    with runtime.db.read() as session:
        assert session.get(Photo, ids["M3"]) is None
    records = derivative_records(runtime, joined.id)
    assert {k: (r.status, r.source_name) for k, r in records.items()} == {
        "thumbnail": (DerivativeStatus.GENERATED, "M3.JPG"),
        "preview": (DerivativeStatus.GENERATED, "M3.JPG"),
    }

    # Plain moves keep their ids; the lost thumbnail was made again at the destination.
    assert photos["M1"].id == ids["M1"] and photos["M4"].id == ids["M4"]
    assert photos["M4"].filenames == ["M4.DNG", "M4.JPG"]
    assert derived_of(dest_dir, "M1") == moved_derivatives["M1"]
    for basename in ("M1", "M2", "M2_2", "M3", "M4"):
        records = derivative_records(runtime, photos[basename].id)
        assert {r.status for r in records.values()} == {DerivativeStatus.GENERATED}, basename
        for kind, record in records.items():
            sub = ".thumb" if kind == "thumbnail" else ".preview"
            [path] = [p for p in (dest_dir / sub).iterdir() if p.stem == basename]
            assert path.stat().st_size == record.file_size

    # Tags follow by name: one "bride" tag at the destination (its own spelling), a new one made.
    assert tags_of(admin, dest["folder"]) == {"bride": 4, "Only here": 1}
    assert tags_of(admin, source["folder"]) == {"Bride": 0, "Only here": 0}
    listing = admin.get(
        f"/api/projects/{dest['folder']}/photos",
        params={"sort": "filename", "dir": "asc", "include": "tags"},
    ).json()
    assert [(i["basename"], i["tags"]) for i in listing["items"]] == [
        ("M1", ["bride"]),
        ("M2", ["bride"]),
        ("M2_2", ["bride"]),
        ("M3", ["bride"]),
        ("M4", ["Only here"]),
    ]
    for item in listing["items"]:
        assert item["project_folder"] == dest["folder"]
        assert item["thumbnail_status"] == "generated"
        response = admin.get(item["thumbnail_url"])
        assert response.status_code == 200, item["basename"]
        assert response.headers["content-type"].startswith("image/")
    with runtime.db.read() as session:
        moved_events = [
            e.data for e in session.scalars(select(Event).where(Event.type == "item_moved"))
        ]
    assert {(e["photo_id"], e["basename"]) for e in moved_events} == {
        (ids["M1"], "M1"),
        (ids["M2"], "M2_2"),
        (there["M3"].id, "M3"),
        (ids["M4"], "M4"),
    }
    # Moving them where they already are does nothing.
    again = post_ok(
        admin,
        "/api/photos/move",
        {"items": [{"photo_id": photos["M1"].id}], "dest_folder": dest["folder"]},
        202,
    )
    assert again["moving"] == [] and again["already_there"] == [photos["M1"].id]
    assert "task_id" not in again


def test_rename_moves_the_folder_with_photos_and_tags(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    project = new_project(admin, "Before")
    upload(admin, "Before", [("R1.JPG", samples["R1.JPG"]), ("R2.JPG", samples["R2.JPG"])])
    run_jobs(runtime)
    photos = photos_by_basename(runtime, project["id"])
    post_ok(
        admin,
        "/api/photos/tags/add",
        {"items": [{"photo_id": photos["R1"].id}], "tags": ["Keeper"]},
    )
    post_ok(
        admin, "/api/photos/keep", {"items": [{"photo_id": photos["R2"].id}], "keep_jpg": False}
    )
    files = snapshot(runtime.paths.project_dir("Before"))

    response = admin.patch("/api/projects/Before", json={"name": "After: the party"})
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["folder"]) == ("After: the party", "Before")
    assert admin.get("/api/projects/Before").json()["name"] == "After: the party"  # at once
    run_jobs(runtime)

    folder = "After_ the party"
    assert admin.get("/api/projects/Before").status_code == 404
    shown = admin.get(f"/api/projects/{folder}").json()
    assert (shown["id"], shown["name"], shown["photo_count"]) == (
        project["id"],
        "After: the party",
        2,
    )
    assert not runtime.paths.project_dir("Before").exists()
    assert snapshot(runtime.paths.project_dir(folder)) == {
        **files,
        ".project.yaml": runtime.paths.manifest_path(folder).read_bytes(),
    }
    manifest = read_manifest(runtime.paths.manifest_path(folder))
    assert manifest is not None and (manifest.id, manifest.name) == (
        project["id"],
        "After: the party",
    )
    after = photos_by_basename(runtime, project["id"])
    assert {n: p.id for n, p in after.items()} == {n: p.id for n, p in photos.items()}
    assert after["R2"].keep_jpg is False  # decisions follow
    assert tags_of(admin, folder) == {"Keeper": 1}
    listing = admin.get(f"/api/projects/{folder}/photos", params={"include": "tags"}).json()
    assert {i["basename"]: i["tags"] for i in listing["items"]} == {"R1": ["Keeper"], "R2": []}
    for item in listing["items"]:
        assert admin.get(item["thumbnail_url"]).status_code == 200
    assert admin.get(f"/api/projects/{folder}/image/R1").content == samples["R1.JPG"]
    with runtime.db.read() as session:
        [renamed] = session.scalars(select(Event).where(Event.type == "folder_renamed")).all()
    assert (renamed.data["old_folder"], renamed.data["folder"]) == ("Before", folder)


def _folders(admin: TestClient) -> dict[int, str]:
    return {p["id"]: p["folder"] for p in admin.get("/api/projects").json()["items"]}


def test_projects_renamed_alike_settle(admin: TestClient, runtime: Runtime) -> None:
    """Names that make the same folder name: each gets its own folder once, and later runs of
    folder_alignment (per project, in any order, and in global maintenance) rename nothing."""
    one, two, three = (new_project(admin, n) for n in ("One", "Two", "Three"))
    for project in (one, two, three):
        marker = runtime.paths.project_dir(project["folder"]) / "marker.txt"
        marker.write_text(str(project["id"]))
    for project, name in ((one, "Trip: day 1"), (two, "Trip/ day 1"), (three, "Trip_ day 1 (2)")):
        response = admin.patch(f"/api/projects/{project['folder']}", json={"name": name})
        assert response.status_code == 200 and response.json()["name"] == name
    run_jobs(runtime)
    settled = _folders(admin)
    assert sorted(settled.values()) == ["Trip_ day 1", "Trip_ day 1 (2)", "Trip_ day 1 (2) (2)"]
    assert settled[three["id"]] == "Trip_ day 1 (2) (2)"
    for project_id, folder in settled.items():  # each folder holds its own project's files
        marker = runtime.paths.project_dir(folder) / "marker.txt"
        assert marker.read_text() == str(project_id)
        manifest = read_manifest(runtime.paths.manifest_path(folder))
        assert manifest is not None and manifest.id == project_id

    for order in ((one, two, three), (three, two, one)):
        with runtime.db.write() as session:
            for project in order:
                runtime.queue.start_task(session, "folder_alignment", project_id=project["id"])
        run_jobs(runtime)
        assert _folders(admin) == settled
    response = admin.post("/api/maintenance/run", json={"task_type": "maintenance_global"})
    assert response.status_code == 202, response.text
    run_jobs(runtime)
    assert _folders(admin) == settled
    with runtime.db.read() as session:
        results = [
            j.result
            for j in session.scalars(
                select(Job).where(Job.type == "folder_alignment").order_by(Job.id)
            )
        ]
    assert len(results) == 3 + 6 + 1
    assert sum(len(r["renamed"]) for r in results if r) == 3  # only the first round renamed
    assert all(r["renamed"] == [] and r["skipped"] == [] for r in results[3:] if r)


def test_delete_a_project_with_real_files(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    """Beyond tests/test_project_delete.py: a renamed project with derivatives and a trash moves
    out whole, its photos leave every listing at once, another project is untouched."""
    doomed, kept = new_project(admin, "Doomed"), new_project(admin, "Kept")
    upload(admin, "Doomed", [(n, samples[n]) for n in ("M1.JPG", "M4.JPG", "M4.DNG")])
    upload(admin, "Kept", [("R1.JPG", samples["R1.JPG"])])
    run_jobs(runtime)
    m4 = photos_by_basename(runtime, doomed["id"])["M4"]
    post_ok(admin, "/api/photos/keep", {"items": [{"photo_id": m4.id}], "keep_raw": False})
    post_ok(admin, "/api/projects/Doomed/commit-changes", {}, 202)
    admin.patch("/api/projects/Doomed", json={"name": "Doomed later"})
    run_jobs(runtime)
    folder = "Doomed later"
    before = snapshot(runtime.paths.project_dir(folder))
    assert any(name.startswith(".trash/") for name in before)
    assert sum(name.startswith((".thumb/", ".preview/")) for name in before) == 4
    kept_before = snapshot(runtime.paths.project_dir("Kept"))
    keep_raw_pending = post_ok(
        admin, "/api/photos/keep", {"items": [{"photo_id": m4.id}], "keep_jpg": False}
    )
    assert keep_raw_pending["changed"] == [m4.id]

    response = admin.delete(f"/api/projects/{folder}")
    assert response.status_code == 200, response.text
    # Hidden everywhere at once, before any job ran.
    everything = admin.get("/api/photos", params={"limit": 500}).json()
    assert [i["project_folder"] for i in everything["items"]] == ["Kept"]
    assert everything["unfiltered_total"] == 1
    assert [i[1] for i in admin.get("/api/photos/all-keys").json()["items"]] == ["Kept"]
    assert admin.get("/api/photos/pending-deletes").json()["by_project"] == []
    assert admin.get(f"/api/projects/{folder}/photos").status_code == 404
    assert admin.get(f"/api/projects/{folder}/thumbnail/M1").status_code == 404
    moved = post_ok(
        admin, "/api/photos/move", {"items": [{"photo_id": m4.id}], "dest_folder": "Kept"}, 202
    )
    assert moved["failed"] == [{"photo_id": m4.id, "error": "no such photo"}]

    run_jobs(runtime)
    assert_task_completed(runtime, response.json()["task_id"])
    assert not runtime.paths.project_dir(folder).exists()
    [gone] = sorted(runtime.paths.deleted_projects_root.iterdir())
    assert gone.name.startswith(f"{folder}.{doomed['id']}.")
    assert snapshot(gone) == before
    assert photos_by_basename(runtime, doomed["id"]) == {}
    assert snapshot(runtime.paths.project_dir("Kept")) == kept_before
    assert set(photos_by_basename(runtime, kept["id"])) == {"R1"}
