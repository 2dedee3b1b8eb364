"""Uploads through the API: grouping, conflicts, bad input, limits, concurrency."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from contactsheet.db.tables import Photo, Task, TrashEntry
from contactsheet.ingest.staging import staging_dir
from contactsheet.runtime import Runtime
from tests import imagefactory

Files = list[tuple[str, bytes]]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("samples")
    return {
        "jpg": imagefactory.jpeg(folder / "a.jpg", 320, 240).read_bytes(),
        "jpg2": imagefactory.jpeg(folder / "b.jpg", 240, 320, orientation=6).read_bytes(),
        "raw": imagefactory.dng_with_preview(folder / "c.dng", 400, 266, 300).read_bytes(),
        "png": imagefactory.png(folder / "d.png", 64, 64).read_bytes(),
        "pdf": imagefactory.not_an_image(folder / "e.jpg").read_bytes(),
    }


def upload(client: TestClient, folder: str, files: Files, **params: object):  # type: ignore[no-untyped-def]
    multipart = [
        ("files", (name, io.BytesIO(data), "application/octet-stream")) for name, data in files
    ]
    query = {k: str(v).lower() for k, v in params.items()}
    return client.post(f"/api/projects/{folder}/upload", files=multipart, params=query)


def project(client: TestClient, name: str) -> str:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201
    return response.json()["folder"]  # type: ignore[no-any-return]


def photos(runtime: Runtime, folder: str) -> dict[str, Photo]:
    with runtime.db.read() as session:
        from contactsheet.catalog.projects import find_project

        project_id = find_project(session, runtime.tenant, folder).id
        return {
            p.basename: p
            for p in session.scalars(select(Photo).where(Photo.project_id == project_id))
        }


def on_disk(runtime: Runtime, folder: str) -> list[str]:
    return sorted(
        p.name for p in runtime.paths.project_dir(folder).iterdir() if not p.name.startswith(".")
    )


def leftovers(runtime: Runtime, folder: str) -> list[str]:
    """Files of an upload in transit, in the project folder or wherever staged files wait."""
    places = [runtime.paths.project_dir(folder), staging_dir(runtime.paths)]
    return [p.name for place in places for p in place.iterdir() if p.name.startswith(".upload")]


def test_jpg_and_raw_in_one_request_make_one_photo(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Pairs")
    response = upload(
        admin, folder, [("DSC0001.JPG", samples["jpg"]), ("DSC0001.DNG", samples["raw"])]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stored"] == 2 and body["task_id"] is not None
    photo = photos(runtime, folder)["DSC0001"]
    assert photo.filenames == ["DSC0001.DNG", "DSC0001.JPG"]
    assert (photo.jpg_available, photo.raw_available, photo.keep_jpg, photo.keep_raw) == (
        True,
        True,
        True,
        True,
    )
    assert photo.make == "Contax" and photo.date_time_original == "2024-05-01T14:03:22+02:00"
    assert on_disk(runtime, folder) == ["DSC0001.DNG", "DSC0001.JPG"]
    with runtime.db.read() as session:
        task = session.get_one(Task, body["task_id"])
        assert task.type == "upload_postprocess" and task.payload["photo_ids"] == [photo.id]


def test_raw_in_a_second_request_completes_the_photo(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Completion")
    upload(admin, folder, [("IMG_7.jpg", samples["jpg"])])
    with runtime.db.write() as session:  # a culling decision made in between must survive
        session.scalars(select(Photo)).one().keep_jpg = False
    analysis = admin.post(
        f"/api/projects/{folder}/upload/analyze", json={"files": ["img_7.dng"]}
    ).json()
    assert [(f["name"], f["class"]) for f in analysis["files"]] == [("img_7.dng", "completion")]
    response = upload(admin, folder, [("img_7.dng", samples["raw"])])
    assert response.json()["stored"] == 1
    photo = photos(runtime, folder)["IMG_7"]
    assert photo.filenames == ["IMG_7.jpg", "img_7.dng"]
    assert photo.raw_available and photo.keep_raw and not photo.keep_jpg


def test_a_taken_name_keeps_both_or_skips_or_overwrites_into_trash(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Dupes")
    upload(admin, folder, [("A.JPG", samples["jpg"])])
    kept = upload(admin, folder, [("a.jpg", samples["jpg2"])]).json()["files"][0]
    assert (kept["status"], kept["class"], kept["stored_as"]) == ("stored", "name_taken", "a_2.jpg")
    assert kept["conflict"] == {"taken_by": "A.JPG", "renamed_from": "a.jpg"}
    skipped = upload(
        admin, folder, [("A.JPG", imagefactory.variant(samples["jpg"], "3"))], on_name_taken="skip"
    ).json()["files"][0]
    assert skipped["status"] == "skipped" and skipped["reason"].startswith("name taken: A.JPG")
    assert (runtime.paths.project_dir(folder) / "A.JPG").read_bytes() == samples["jpg"]
    replaced = upload(admin, folder, [("a.jpg", samples["jpg2"])], on_name_taken="overwrite")
    # Identical to a_2.jpg: identical content is never stored twice, whatever the choice.
    assert replaced.json()["files"][0]["class"] == "identical"
    other = imagefactory.variant(samples["jpg2"], "other")
    replaced = upload(admin, folder, [("a.jpg", other)], on_name_taken="overwrite").json()
    assert replaced["files"][0]["status"] == "stored"
    assert on_disk(runtime, folder) == ["a.jpg", "a_2.jpg"]
    assert (runtime.paths.project_dir(folder) / "a.jpg").read_bytes() == other
    with runtime.db.read() as session:
        entry = session.scalars(select(TrashEntry)).one()
    assert entry.reason == "overwritten_by_upload"
    assert (runtime.paths.root / entry.trash_path).read_bytes() == samples["jpg"]
    assert photos(runtime, folder)["A"].filenames == ["a.jpg"]


def test_a_name_in_another_project_is_no_conflict(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    first, second = project(admin, "First"), project(admin, "Second")
    upload(admin, first, [("DSC5.JPG", samples["jpg"])])
    analysis = admin.post(
        f"/api/projects/{second}/upload/analyze", json={"files": ["DSC5.JPG", "NEW.JPG"]}
    ).json()
    assert [f["class"] for f in analysis["files"]] == ["new", "new"]
    result = upload(admin, second, [("DSC5.JPG", samples["jpg2"])]).json()["files"][0]
    assert result["stored_as"] == "DSC5.JPG" and result["class"] == "new"
    assert set(photos(runtime, second)) == {"DSC5"}
    assert set(photos(runtime, first)) == {"DSC5"}


def test_cross_project_conflict_can_move_the_other_photo_here(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    from contactsheet.handlers import default_registry
    from contactsheet.workers.runner import Runner, run_until_idle

    first, second = project(admin, "Shoot A"), project(admin, "Shoot B")
    upload(admin, first, [("DSC9.JPG", samples["jpg"])])
    body = upload(admin, second, [("DSC9.DNG", samples["raw"])], move_conflicts_here=True).json()
    assert body["move_task_id"] is not None and body["files"][0]["stored_as"] == "DSC9.DNG"
    run_until_idle(Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline)))
    assert photos(runtime, first) == {}
    moved = photos(runtime, second)["DSC9"]
    assert (
        moved.filenames == ["DSC9.DNG", "DSC9.JPG"] and moved.jpg_available and moved.raw_available
    )
    assert on_disk(runtime, second) == ["DSC9.DNG", "DSC9.JPG"] and on_disk(runtime, first) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../etc/passwd", "unaccepted_type"),
        ("..", "unsafe_name"),
        ("notes.txt", "unaccepted_type"),
        ("movie.mp4", "unaccepted_type"),
    ],
)
def test_bad_names_are_refused_with_400(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes], name: str, code: str
) -> None:
    folder = project(admin, "Names")
    response = upload(admin, folder, [(name, samples["jpg"])])
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert on_disk(runtime, folder) == [] and leftovers(runtime, folder) == []


def test_path_parts_and_control_characters_are_stripped(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Paths")
    body = upload(
        admin,
        folder,
        [
            ("/etc/abs.jpg", samples["jpg"]),
            ("..\\..\\win.jpg", samples["jpg2"]),
        ],
    ).json()
    assert [f["stored_as"] for f in body["files"]] == ["abs.jpg", "win.jpg"]
    assert on_disk(runtime, folder) == ["abs.jpg", "win.jpg"]
    assert not (runtime.paths.root.parent / "etc").exists()


def test_wrong_content_and_empty_files_are_rejected(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Content")
    body = upload(
        admin,
        folder,
        [
            ("fake.jpg", samples["pdf"]),
            ("empty.jpg", b""),
            ("png.NEF", samples["png"]),
            ("ok.png", samples["png"]),
        ],
    ).json()
    statuses = {f["name"]: (f["status"], f.get("error", {}).get("code")) for f in body["files"]}
    assert statuses == {
        "fake.jpg": ("rejected", "content_mismatch"),
        "empty.jpg": ("rejected", "invalid_input"),
        "png.NEF": ("rejected", "content_mismatch"),
        "ok.png": ("stored", None),
    }
    assert on_disk(runtime, folder) == ["ok.png"] and leftovers(runtime, folder) == []


def test_over_the_size_limit_answers_413_and_leaves_nothing(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    runtime.settings.processing.upload_max_bytes = 10_000
    folder = project(admin, "Limits")
    big = samples["jpg"] + b"\0" * 20_000
    response = upload(admin, folder, [("BIG.JPG", big)])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert on_disk(runtime, folder) == [] and leftovers(runtime, folder) == []


def test_three_hundred_files_in_one_request(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Many")
    files = [(f"IMG_{i:04d}.JPG", imagefactory.variant(samples["jpg"], str(i))) for i in range(300)]
    body = upload(admin, folder, files).json()
    assert body["stored"] == 300
    assert len(photos(runtime, folder)) == 300 and len(on_disk(runtime, folder)) == 300


def test_concurrent_uploads_of_one_basename_lose_nothing(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes]
) -> None:
    folder = project(admin, "Race")
    requests = [[("SAME.JPG", samples["jpg"])], [("SAME.DNG", samples["raw"])]] * 4
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda files: upload(admin, folder, files).json(), requests))
    statuses = sorted((r["files"][0]["status"], r["files"][0]["class"]) for r in results)
    # The same bytes again are identical, whichever request came first.
    assert statuses == [("skipped", "identical")] * 6 + [("stored", "completion")] + [
        ("stored", "new")
    ]
    assert on_disk(runtime, folder) == ["SAME.DNG", "SAME.JPG"] and leftovers(runtime, folder) == []
    assert photos(runtime, folder)["SAME"].filenames == ["SAME.DNG", "SAME.JPG"]
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Photo)) == 1


def test_upload_to_unknown_project_is_404_and_non_multipart_is_400(admin: TestClient) -> None:
    assert (
        admin.post("/api/projects/nope/upload", files=[("files", ("a.jpg", b"x"))]).status_code
        == 404
    )
    folder = project(admin, "Body")
    response = admin.post(f"/api/projects/{folder}/upload", json={"files": []})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


def test_analyze_reports_classes_with_and_without_fingerprints(
    admin: TestClient, samples: dict[str, bytes], tmp_path: Path
) -> None:
    from contactsheet.imaging.fingerprint import fingerprint

    folder = project(admin, "Analyze")
    upload(admin, folder, [("X1.JPG", samples["jpg"])])
    (tmp_path / "x1.jpg").write_bytes(samples["jpg"])
    (tmp_path / "x2.jpg").write_bytes(samples["jpg2"])
    same = {"size": len(samples["jpg"]), "fingerprint": fingerprint(tmp_path / "x1.jpg")}
    other = {"size": len(samples["jpg2"]), "fingerprint": fingerprint(tmp_path / "x2.jpg")}
    report = admin.post(
        f"/api/projects/{folder}/upload/analyze",
        json={
            "files": [
                "X1.jpg",
                {"name": "x1.jpg", "folder": "a", **same},
                {"name": "X1.jpg", "folder": "b", **other},
                "c/X1.ARW",
                "d/X1_2.jpg",
                "Y.JPG",
                "../bad.txt",
            ]
        },
    ).json()
    assert [(f["name"], f["class"], f.get("stored_as")) for f in report["files"]] == [
        ("X1.jpg", "unknown", "X1_2.jpg"),
        ("x1.jpg", "identical", None),
        ("X1.jpg", "name_taken", "X1_3.jpg"),
        ("c/X1.ARW", "completion", "X1.ARW"),
        ("d/X1_2.jpg", "unknown", "X1_2_2.jpg"),
        ("Y.JPG", "new", "Y.JPG"),
        ("../bad.txt", "rejected", None),
    ]
    assert report["files"][1]["identical_to"]["filename"] == "X1.JPG"
    assert report["files"][2]["taken_by"] == "X1.JPG"
    assert report["files"][3]["folder"] == "c" and report["files"][3]["photo_id"] is not None
    assert report["counts"]["unknown"] == 2


def test_reupload_after_trashed_overwrite_keeps_one_photo(
    admin: TestClient, runtime: Runtime, samples: dict[str, bytes], tmp_path: Path
) -> None:
    folder = project(admin, "Again")
    for i in range(3):
        data = imagefactory.variant(samples["jpg"], str(i))
        upload(admin, folder, [("R.JPG", data)], on_name_taken="overwrite")
    assert on_disk(runtime, folder) == ["R.JPG"] and len(photos(runtime, folder)) == 1
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(TrashEntry)) == 2
