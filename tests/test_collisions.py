"""Same name, same content (docs/ingest.md): a photo is never dropped because its name is
taken, identical bytes are never stored twice unless asked, on every path in: the upload API,
tus, `contactsheet import` and files copied in by hand (`folder_check`).

Real files: JPEGs and DNGs of the shared corpus (two different DNGs stand in for a camera's
RAW), a real database on each engine, the real queue."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from contactsheet.db.enums import Pick
from contactsheet.db.tables import PhotoFile, TrashEntry
from contactsheet.imaging.fingerprint import fingerprint
from tests.ingestsupport import (
    add_tags,
    decisions,
    digest,
    events,
    jobs,
    make_project,
    photo,
    photos,
    projects,
    run_all,
    set_decisions,
    start,
    tasks,
    tree,
    visible,
)
from tests.test_ingest_sources import run_import, tus_create, tus_patch

CORPUS = Path(os.environ.get("CONTACTSHEET_CORPUS", Path(__file__).parents[2] / "shared/corpus"))
ORIENTATION = CORPUS / "jpeg_orientation"
JPG_A = ORIENTATION / "ianare+exif-samples/jpg/orientation/landscape_1.jpg"
JPG_B = ORIENTATION / "ianare+exif-samples/jpg/orientation/landscape_3.jpg"
RAW_A = CORPUS / "raw_metadata_only/Exiv2+exiv2/test/data/IMG_1361.dng"
RAW_B = CORPUS / "raw_metadata_only/exiftool+exiftool/t/images/DNG.dng"

pytestmark = pytest.mark.skipif(not RAW_A.is_file(), reason="the shared corpus is not here")


def card(folder: Path) -> Path:
    """A card after the counter rolled over: two folders, each an IMG_0001 JPG + RAW pair of
    its own content."""
    for sub, jpg, raw in (("100CANON", JPG_A, RAW_A), ("101CANON", JPG_B, RAW_B)):
        (folder / "DCIM" / sub).mkdir(parents=True)
        shutil.copyfile(jpg, folder / "DCIM" / sub / "IMG_0001.JPG")
        shutil.copyfile(raw, folder / "DCIM" / sub / "IMG_0001.DNG")
    return folder


def filenames(runtime: Any, project_id: int) -> dict[str, list[str]]:
    return {b: p.filenames for b, p in photos(runtime, project_id).items()}


def assert_card_stored(runtime: Any, project: Any) -> None:
    """Two photos, each paired from its own folder; the second renamed as a pair."""
    assert filenames(runtime, project.id) == {
        "IMG_0001": ["IMG_0001.DNG", "IMG_0001.JPG"],
        "IMG_0001_2": ["IMG_0001_2.DNG", "IMG_0001_2.JPG"],
    }
    directory = runtime.paths.project_dir(project.folder)
    assert digest(directory / "IMG_0001.JPG") == digest(JPG_A)
    assert digest(directory / "IMG_0001.DNG") == digest(RAW_A)
    assert digest(directory / "IMG_0001_2.JPG") == digest(JPG_B)
    assert digest(directory / "IMG_0001_2.DNG") == digest(RAW_B)


def folder_check_outcomes(runtime: Any, key: str) -> dict[str, list[dict[str, Any]]]:
    """`key` of every folder check that ran (an upload's processing checks the folder too, so
    whichever ran first found the files copied in by hand)."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for job in jobs(runtime, "folder_check"):
        for folder, entries in (job.result or {}).get(key, {}).items():
            merged.setdefault(folder, []).extend(entries)
    return merged


def upload_one(
    client: TestClient, folder: str, name: str, data: bytes, fields: dict[str, str], **query: str
) -> dict[str, Any]:
    response = client.post(
        f"/api/projects/{folder}/upload",
        files=[("files", (name, io.BytesIO(data), "application/octet-stream"))],
        data=fields,
        params=query,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# -- a card, imported twice ------------------------------------------------------------------------


@pytest.mark.usefixtures("restore_logging")
def test_a_card_imports_as_two_pairs_and_again_as_nothing(runtime: Any, tmp_path: Path) -> None:
    source = card(tmp_path / "card")
    code, output = run_import(runtime, str(source), "--project", "Wedding")
    assert code == 0, output
    [project] = projects(runtime)
    assert_card_stored(runtime, project)
    assert output.count("│ stored │") == 4 and "│ IMG_0001_2.JPG" in output, output
    before = tree(runtime.paths.project_dir(project.folder))
    processing = len(tasks(runtime, "upload_postprocess"))

    again_code, again = run_import(runtime, str(source), "--project", "Wedding")
    assert again_code == 0, again
    assert again.count("│ identical │ skipped │") == 4, again
    assert tree(runtime.paths.project_dir(project.folder)) == before, "nothing stored or renamed"
    assert_card_stored(runtime, project)
    assert len(tasks(runtime, "upload_postprocess")) == processing


def test_the_analysis_of_a_card_says_what_each_file_would_become(
    admin: TestClient, runtime: Any, tmp_path: Path
) -> None:
    project = make_project(runtime, "Analysed")
    source = card(tmp_path / "card")
    announced = [
        {"name": p.name, "folder": p.parent.name, "size": p.stat().st_size}
        | {"fingerprint": fingerprint(p)}
        for p in sorted(source.rglob("*.*"))
    ]
    body = {"batch": "card-1", "files": announced}
    report = admin.post(f"/api/projects/{project.folder}/upload/analyze", json=body).json()
    got = [(f["folder"], f["name"], f["class"], f.get("stored_as")) for f in report["files"]]
    assert got == [
        ("100CANON", "IMG_0001.DNG", "new", "IMG_0001.DNG"),
        ("100CANON", "IMG_0001.JPG", "completion", "IMG_0001.JPG"),
        ("101CANON", "IMG_0001.DNG", "name_taken", "IMG_0001_2.DNG"),
        ("101CANON", "IMG_0001.JPG", "completion", "IMG_0001_2.JPG"),
    ]
    assert photos(runtime, project.id) == {}, "the analysis places nothing"
    # Once the card is in, the same analysis finds every file identical, with its twin.
    for entry, path in zip(announced, sorted(source.rglob("*.*")), strict=True):
        fields = {"batch": "card-1", "folder": entry["folder"]}
        upload_one(admin, project.folder, path.name, path.read_bytes(), fields)
    assert_card_stored(runtime, project)
    report = admin.post(f"/api/projects/{project.folder}/upload/analyze", json=body).json()
    twins = [(f["class"], f["identical_to"]["filename"]) for f in report["files"]]
    assert twins == [
        ("identical", "IMG_0001.DNG"),
        ("identical", "IMG_0001.JPG"),
        ("identical", "IMG_0001_2.DNG"),
        ("identical", "IMG_0001_2.JPG"),
    ]
    # Without fingerprints the content is unknown: the analysis does not guess.
    names = {"files": [{"name": "IMG_0001.JPG", "folder": "102CANON"}]}
    [unknown] = admin.post(f"/api/projects/{project.folder}/upload/analyze", json=names).json()[
        "files"
    ]
    assert (unknown["class"], unknown["stored_as"]) == ("unknown", "IMG_0001_3.JPG")


def test_the_analysis_sees_the_stored_files_of_a_photo_it_plans_to_complete(
    admin: TestClient, runtime: Any
) -> None:
    project = make_project(runtime, "Planned")
    upload_one(admin, project.folder, "X.JPG", JPG_A.read_bytes(), {})
    other = {"size": JPG_B.stat().st_size, "fingerprint": fingerprint(JPG_B)}
    files = [{"name": "X.DNG"}, {"name": "X.JPG", **other}]
    report = admin.post(f"/api/projects/{project.folder}/upload/analyze", json={"files": files})
    got = [(f["class"], f["stored_as"]) for f in report.json()["files"]]
    assert got == [("completion", "X.DNG"), ("name_taken", "X_2.JPG")]


# -- two bodies, one file per request -----------------------------------------------------------


def _send_over_tus(
    client: TestClient, runtime: Any, folder: str, name: str, data: bytes, fields: dict[str, str]
) -> dict[str, Any]:
    created = tus_create(client, len(data), filename=name, project=folder, **fields)  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    done = tus_patch(client, created.headers["location"], 0, data)  # type: ignore[arg-type]
    assert done.status_code == 204, done.text
    return events(runtime, "upload_completed")[-1][1]


@pytest.mark.parametrize("source", ["multipart", "tus"])
def test_two_bodies_sent_one_file_per_request_are_all_kept(
    admin: TestClient, runtime: Any, source: str
) -> None:
    project = make_project(runtime, f"Two shooters {source}")
    # Both bodies write DSC_0001; the files arrive interleaved, one per request.
    sends = [
        ("body-a", "DSC_0001.JPG", JPG_A),
        ("body-b", "DSC_0001.JPG", JPG_B),
        ("body-b", "DSC_0001.DNG", RAW_B),
        ("body-a", "DSC_0001.DNG", RAW_A),
    ]
    results = []
    for folder, name, path in sends:
        fields = {"batch": "drop-7", "folder": folder}
        if source == "multipart":
            body = upload_one(admin, project.folder, name, path.read_bytes(), fields)
            results.append(body["files"][0])
        else:
            results.append(
                _send_over_tus(admin, runtime, project.folder, name, path.read_bytes(), fields)
            )
    assert [(r["status"], r["class"], r["stored_as"]) for r in results] == [
        ("stored", "new", "DSC_0001.JPG"),
        ("stored", "name_taken", "DSC_0001_2.JPG"),
        ("stored", "completion", "DSC_0001_2.DNG"),
        ("stored", "completion", "DSC_0001.DNG"),
    ]
    assert filenames(runtime, project.id) == {
        "DSC_0001": ["DSC_0001.DNG", "DSC_0001.JPG"],
        "DSC_0001_2": ["DSC_0001_2.DNG", "DSC_0001_2.JPG"],
    }
    directory = runtime.paths.project_dir(project.folder)
    assert digest(directory / "DSC_0001_2.DNG") == digest(RAW_B)
    assert digest(directory / "DSC_0001.DNG") == digest(RAW_A)


# -- a public corpus whose names differ only in case -----------------------------------------------


@pytest.mark.usefixtures("restore_logging")
def test_the_orientation_corpus_imports_35_photos_and_is_identical_in_a_second_project(
    runtime: Any,
) -> None:
    originals = sorted(p for p in ORIENTATION.rglob("*") if p.is_file())
    assert len(originals) == 35
    code, output = run_import(runtime, str(ORIENTATION), "--project", "Orientation")
    assert code == 0, output
    first = [p for p in projects(runtime) if p.name == "Orientation"]
    stored = photos(runtime, first[0].id)
    assert len(stored) == 35, output
    on_disk = runtime.paths.project_dir(first[0].folder)
    assert sorted(digest(on_disk / n) for n in visible(on_disk)) == sorted(
        digest(p) for p in originals
    )

    code, output = run_import(runtime, str(ORIENTATION), "--project", "Second look")
    assert code == 0, output
    assert output.count("identical_elsewhere │ skipped │") == 35, output
    assert "'Orientation'" in output
    second = [p for p in projects(runtime) if p.name == "Second look"]
    assert photos(runtime, second[0].id) == {}

    code, output = run_import(runtime, str(ORIENTATION), "--project", "Best of", "--import-anyway")
    assert code == 0, output
    best = [p for p in projects(runtime) if p.name == "Best of"]
    assert len(photos(runtime, best[0].id)) == 35


# -- across projects -------------------------------------------------------------------------------


def test_an_identical_upload_to_a_second_project_is_reported_and_skipped(
    admin: TestClient, runtime: Any
) -> None:
    first, second = make_project(runtime, "Ceremony"), make_project(runtime, "Best of")
    data = JPG_A.read_bytes()
    upload_one(admin, first.folder, "IMG_9.JPG", data, {})
    [result] = upload_one(admin, second.folder, "renamed.jpg", data, {})["files"]
    assert (result["status"], result["class"]) == ("skipped", "identical_elsewhere")
    assert result["reason"] == "identical to IMG_9.JPG in project 'Ceremony'"
    assert result["conflict"]["identical_to"]["project_name"] == "Ceremony"
    assert photos(runtime, second.id) == {}
    [anyway] = upload_one(admin, second.folder, "renamed.jpg", data, {}, import_anyway="true")[
        "files"
    ]
    assert (anyway["status"], anyway["stored_as"]) == ("stored", "renamed.jpg")


# -- overwrite -------------------------------------------------------------------------------------


def test_overwrite_puts_the_old_file_in_trash_and_keeps_the_decisions(
    admin: TestClient, runtime: Any
) -> None:
    project = make_project(runtime, "Retouched")
    upload_one(admin, project.folder, "IMG_5.JPG", JPG_A.read_bytes(), {})
    [before] = photos(runtime, project.id).values()
    set_decisions(runtime, before.id, rating=4, pick=Pick.PICKED)
    add_tags(runtime, before.id, ["print"])
    [result] = upload_one(
        admin, project.folder, "IMG_5.JPG", JPG_B.read_bytes(), {}, on_name_taken="overwrite"
    )["files"]
    assert (result["status"], result["stored_as"], result["photo_id"]) == (
        "stored",
        "IMG_5.JPG",
        before.id,
    )
    after = photo(runtime, before.id)
    assert decisions(after) == decisions(before) | {"rating": 4, "pick": Pick.PICKED}
    directory = runtime.paths.project_dir(project.folder)
    assert digest(directory / "IMG_5.JPG") == digest(JPG_B)
    with runtime.db.read() as session:
        [entry] = session.scalars(select(TrashEntry)).all()
        [record] = session.scalars(select(PhotoFile).where(PhotoFile.photo_id == before.id))
    assert digest(runtime.paths.root / entry.trash_path) == digest(JPG_A)
    assert record.fingerprint == fingerprint(directory / "IMG_5.JPG")


# -- files copied in by hand --------------------------------------------------------------------


def test_folder_check_keeps_a_case_only_collision_and_leaves_a_copy_alone(
    admin: TestClient, runtime: Any
) -> None:
    project = make_project(runtime, "By hand")
    upload_one(admin, project.folder, "Portrait_1.jpg", JPG_A.read_bytes(), {})
    directory = runtime.paths.project_dir(project.folder)
    shutil.copyfile(JPG_B, directory / "portrait_1.jpg")  # another picture, a case away
    shutil.copyfile(JPG_A, directory / "copy of Portrait_1.jpg")  # the same bytes
    shutil.copyfile(RAW_A, directory / "Portrait_1.DNG")  # completes the stored photo

    start(runtime, "folder_check", project_id=project.id)
    run_all(runtime)

    assert folder_check_outcomes(runtime, "renamed") == {
        project.folder: [{"name": "portrait_1.jpg", "renamed_to": "portrait_1_2.jpg"}]
    }
    # Not indexed, so every check tells it again, until the user removes the copy.
    copies = folder_check_outcomes(runtime, "identical")[project.folder]
    assert {(c["name"], c["identical_to"]["filename"]) for c in copies} == {
        ("copy of Portrait_1.jpg", "Portrait_1.jpg")
    }
    assert filenames(runtime, project.id) == {
        "Portrait_1": ["Portrait_1.DNG", "Portrait_1.jpg"],
        "portrait_1_2": ["portrait_1_2.jpg"],
    }
    assert digest(directory / "portrait_1_2.jpg") == digest(JPG_B)
    assert digest(directory / "copy of Portrait_1.jpg") == digest(JPG_A), "left where it is"


def test_a_file_copied_by_hand_into_a_second_project_is_indexed_and_reported(
    admin: TestClient, runtime: Any
) -> None:
    first, second = make_project(runtime, "Original"), make_project(runtime, "Copy")
    upload_one(admin, first.folder, "IMG_1.JPG", JPG_A.read_bytes(), {})
    shutil.copyfile(JPG_A, runtime.paths.project_dir(second.folder) / "IMG_1.JPG")
    start(runtime, "folder_check", project_id=second.id)
    run_all(runtime)
    [entry] = folder_check_outcomes(runtime, "identical_elsewhere")[second.folder]
    assert entry["identical_to"]["project_name"] == "Original"
    assert filenames(runtime, second.id) == {"IMG_1": ["IMG_1.JPG"]}


# -- fingerprints: recorded, computed when missing, disk is the truth ----------------------


def test_a_file_without_a_recorded_fingerprint_is_read_when_compared(
    admin: TestClient, runtime: Any
) -> None:
    project = make_project(runtime, "Before fingerprints")
    upload_one(admin, project.folder, "OLD.JPG", JPG_A.read_bytes(), {})
    with runtime.db.write() as session:  # as migration 0003 left the files it found
        session.execute(update(PhotoFile).values(fingerprint=None, size=None, mtime_ns=None))
    [result] = upload_one(admin, project.folder, "again.jpg", JPG_A.read_bytes(), {})["files"]
    assert (result["class"], result["reason"]) == ("identical", "identical to OLD.JPG")
    with runtime.db.read() as session:
        [record] = session.scalars(select(PhotoFile)).all()
    directory = runtime.paths.project_dir(project.folder)
    assert record.fingerprint == fingerprint(directory / "OLD.JPG")
    assert record.size == (directory / "OLD.JPG").stat().st_size


def test_a_recorded_fingerprint_counts_only_while_the_file_is_unchanged(
    admin: TestClient, runtime: Any
) -> None:
    project = make_project(runtime, "Edited by hand")
    upload_one(admin, project.folder, "EDIT.JPG", JPG_A.read_bytes(), {})
    path = runtime.paths.project_dir(project.folder) / "EDIT.JPG"
    path.unlink()
    shutil.copyfile(JPG_B, path)  # replaced by hand, under the same name
    [result] = upload_one(admin, project.folder, "EDIT.JPG", JPG_A.read_bytes(), {})["files"]
    assert (result["class"], result["stored_as"]) == ("name_taken", "EDIT_2.JPG")
    [again] = upload_one(admin, project.folder, "x.jpg", JPG_B.read_bytes(), {})["files"]
    assert (again["class"], again["reason"]) == ("identical", "identical to EDIT.JPG")


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "query"),
    [
        ({"batch": "not a batch id!"}, {}),
        ({"folder": "a\x01b"}, {}),
        ({}, {"on_name_taken": "replace"}),
    ],
)
def test_bad_batch_folder_or_choice_is_a_400(
    admin: TestClient, runtime: Any, fields: dict[str, str], query: dict[str, str]
) -> None:
    project = make_project(runtime, "Strict")
    response = admin.post(
        f"/api/projects/{project.folder}/upload",
        files=[("files", ("A.JPG", io.BytesIO(JPG_A.read_bytes()), "image/jpeg"))],
        data=fields,
        params=query,
    )
    assert 400 <= response.status_code < 500 and "error" in response.json(), response.text
    assert photos(runtime, project.id) == {}


def test_tus_creation_refuses_a_bad_choice(admin: TestClient, runtime: Any) -> None:
    project = make_project(runtime, "Strict tus")
    created = tus_create(
        admin,  # type: ignore[arg-type]
        10,
        filename="A.JPG",
        project=project.folder,
        on_name_taken="replace",
    )
    assert created.status_code == 400, created.text
