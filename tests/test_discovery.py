"""Files and folders that arrive by hand (docs/ingest.md): `folder_discovery` adopts project
folders made outside the app, follows folders renamed by hand, never merges or deletes a folder
copied from another install; `folder_check` indexes files copied into a project, leaves what it
does not manage exactly where it is, and never resets a user's decisions.

Tasks run through the real queue (`start_task`, then a `Runner` on this thread).
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contactsheet.db.enums import JobStatus, Pick, Visibility
from contactsheet.ingest.indexing import index_files, new_files, scan
from contactsheet.library.manifest import Manifest, read_manifest, write_manifest
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    add_tags,
    catalog_snapshot,
    decisions,
    digest,
    jobs,
    make_project,
    make_samples,
    photo,
    photos,
    preview,
    project_row,
    projects,
    run_all,
    run_next,
    set_decisions,
    start,
    store,
    tags_of,
    thumbnail,
    tree,
    visible,
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


def discover(runtime: Runtime) -> dict[str, Any]:
    """Start `folder_discovery` and run exactly that job; its result."""
    start(runtime, "folder_discovery")
    result = run_next(runtime, "folder_discovery").result
    assert result is not None
    return result


def originals(folder: Path) -> dict[str, str]:
    """The user's files of a folder (not the app's manifest or derivatives), with their hashes."""
    return {
        name: value
        for name, value in tree(folder).items()
        if not name.startswith((".thumb/", ".preview/", ".trash/", ".project.yaml"))
    }


def foreign_manifest(folder: Path, project_id: int, name: str) -> None:
    """A `.project.yaml` as another install (or a restored backup) wrote it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(
        folder / ".project.yaml",
        Manifest(
            id=project_id,
            name=name,
            folder=name,
            tenant="user_0",
            created_at=datetime(2021, 6, 1, 12, 0, tzinfo=UTC),
        ),
    )


def pending_derivative_jobs(runtime: Runtime) -> list[tuple[int | None, list[int]]]:
    return [
        (j.project_id, j.payload["photo_ids"])
        for j in jobs(runtime, "generate_derivatives", JobStatus.QUEUED)
    ]


# -- folder_discovery ------------------------------------------------------------------------------


def test_hand_made_folder_becomes_an_indexed_project(runtime: Runtime, samples: Samples) -> None:
    root = runtime.paths.projects_root
    hand = root / "Hand Made"
    samples.copy("jpg", hand / "DSC0001.JPG")
    samples.copy("jpg_other", hand / "DSC0002.JPG")
    (hand / "notes.txt").write_text("who was there")
    broken = root / "Broken"
    samples.copy("jpg", broken / "IMG_1.JPG")
    (broken / ".project.yaml").write_text("id: [this is not\n  a manifest")
    odd = root / "AC\\DC live"  # a backslash: a legal name here, unusable as a project folder
    samples.copy("jpg", odd / "IMG_2.JPG")
    broken_before, odd_before = tree(broken), tree(odd)
    hand_before = originals(hand)

    result = discover(runtime)

    assert [a["folder"] for a in result["adopted"]] == ["Hand Made"]
    assert result["followed"] == [] and result["indexed"] == 2
    skipped = {s["folder"]: s["reason"] for s in result["skipped"]}
    assert sorted(skipped) == ["AC\\DC live", "Broken"]
    assert "manifest" in skipped["Broken"] and "name" in skipped["AC\\DC live"]
    assert tree(broken) == broken_before, "a folder with an unreadable manifest is not touched"
    assert tree(odd) == odd_before
    [project] = projects(runtime)
    assert (project.name, project.folder, project.id) == (
        "Hand Made",
        "Hand Made",
        result["adopted"][0]["project_id"],
    )
    assert {".thumb", ".preview", ".trash", ".project.yaml"} <= {p.name for p in hand.iterdir()}
    manifest = read_manifest(hand / ".project.yaml")
    assert manifest is not None
    assert (manifest.id, manifest.name, manifest.folder) == (project.id, "Hand Made", "Hand Made")
    assert originals(hand) == hand_before

    found = photos(runtime, project.id)
    assert sorted(found) == ["DSC0001", "DSC0002"]
    first = found["DSC0001"]
    assert first.filenames == ["DSC0001.JPG"] and first.jpg_available and first.keep_jpg
    assert (first.make, first.model, first.lens) == ("Contax", "Sheet One", "Sheet 35mm F1.4")
    assert first.date_time_original == "2024-05-01T14:03:22+02:00"
    assert first.taken_at == datetime(2024, 5, 1, 12, 3, 22, 250000, tzinfo=UTC)
    assert (first.width, first.height, first.iso) == (160, 120, 400)
    assert found["DSC0002"].orientation == 6
    ids = sorted(p.id for p in found.values())
    assert pending_derivative_jobs(runtime) == [(project.id, ids)]

    # Right after: nothing changes, nothing is queued twice, the broken folder is reported again.
    catalog, disk = catalog_snapshot(runtime), tree(root)
    again = discover(runtime)
    assert (again["adopted"], again["followed"], again["indexed"]) == ([], [], 0)
    assert sorted(s["folder"] for s in again["skipped"]) == ["AC\\DC live", "Broken"]
    assert {k: v for k, v in catalog_snapshot(runtime).items() if k != "tasks"} == {
        k: v for k, v in catalog.items() if k != "tasks"
    }
    assert tree(root) == disk
    assert pending_derivative_jobs(runtime) == [(project.id, ids)]

    run_all(runtime)
    for name in ("DSC0001", "DSC0002"):
        assert thumbnail(runtime, "Hand Made", name).is_file()
        assert preview(runtime, "Hand Made", name).is_file()
    assert (hand / "notes.txt").read_text() == "who was there"


def test_folder_from_another_install_becomes_a_new_project_untouched(
    runtime: Runtime, samples: Samples
) -> None:
    existing = make_project(runtime, "Wedding")
    store(runtime, existing, {"DSC1.JPG": samples.jpg})
    existing_dir = runtime.paths.project_dir(existing.folder)
    existing_before, existing_originals = tree(existing_dir), originals(existing_dir)
    root = runtime.paths.projects_root
    # A folder from another install, whose id this database has never seen.
    copied = root / "Smith wedding"
    foreign_manifest(copied, 987654, "Smith wedding")
    samples.copy("jpg_other", copied / "DSC1.JPG")  # the same basename as the other project's
    samples.copy("raw", copied / "DSC2.DNG")
    (copied / "DSC2.xmp").write_text("<xmp/>")
    (copied / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42 a video")
    # A restored backup whose id happens to be the id of a project here that still has its folder.
    twin = root / "Copied twin"
    foreign_manifest(twin, existing.id, "Copied twin")
    samples.copy("jpg", twin / "IMG_9.JPG")
    copied_before, twin_before = originals(copied), originals(twin)

    result = discover(runtime)

    adopted = {a["folder"]: a for a in result["adopted"]}
    assert sorted(adopted) == ["Copied twin", "Smith wedding"] and result["followed"] == []
    new_ids = {a["project_id"] for a in adopted.values()}
    assert existing.id not in new_ids and 987654 not in new_ids and len(new_ids) == 2
    for folder, name in (("Smith wedding", "Smith wedding"), ("Copied twin", "Copied twin")):
        row = project_row(runtime, adopted[folder]["project_id"])
        assert (row.name, row.folder) == (name, folder)
        manifest = read_manifest(root / folder / ".project.yaml")
        assert manifest is not None
        assert (manifest.id, manifest.name) == (row.id, name), "rewritten with our id, name kept"
    # Nothing merged, nothing moved, nothing deleted: each folder is its own project.
    assert originals(copied) == copied_before and originals(twin) == twin_before
    assert tree(existing_dir) == existing_before
    assert set(photos(runtime, existing.id)) == {"DSC1"}
    assert project_row(runtime, existing.id).folder == "Wedding"
    smith = photos(runtime, adopted["Smith wedding"]["project_id"])
    assert {b: p.filenames for b, p in smith.items()} == {
        "DSC1": ["DSC1.JPG"],
        "DSC2": ["DSC2.DNG", "DSC2.xmp"],
    }
    assert set(photos(runtime, adopted["Copied twin"]["project_id"])) == {"IMG_9"}

    # The hourly maintenance afterwards still neither merges nor deletes anything; it only gives
    # the newer project's DSC1 a name of its own (the older "Wedding" has one too).
    start(runtime, "maintenance_global")
    run_all(runtime)
    copied_after = originals(copied)
    assert copied_after.pop("DSC1_duplicate1.JPG") == copied_before.pop("DSC1.JPG")
    assert copied_after == copied_before and originals(twin) == twin_before
    assert originals(existing_dir) == existing_originals
    existing_manifest = read_manifest(existing_dir / ".project.yaml")
    assert existing_manifest is not None and existing_manifest.id == existing.id
    assert {p.folder for p in projects(runtime)} == {"Wedding", "Smith wedding", "Copied twin"}
    assert thumbnail(runtime, "Smith wedding", "DSC1_duplicate1").is_file()
    assert thumbnail(runtime, "Copied twin", "IMG_9").is_file()


def test_folder_renamed_by_hand_keeps_its_rows_tags_and_decisions(
    runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Shoot")
    store(runtime, project, {"DSC1.JPG": samples.jpg, "DSC1.DNG": samples.raw})
    store(runtime, project, {"DSC2.JPG": samples.jpg_other})
    before = photos(runtime, project.id)
    set_decisions(
        runtime,
        before["DSC1"].id,
        keep_raw=False,
        rating=3,
        pick=Pick.REJECTED,
        visibility=Visibility.PUBLIC,
    )
    add_tags(runtime, before["DSC1"].id, ["family", "print"])
    before = photos(runtime, project.id)
    queued_before = pending_derivative_jobs(runtime)  # the uploads' own, not run here
    old_dir = runtime.paths.project_dir("Shoot")
    files_before = originals(old_dir)
    new_dir = old_dir.with_name("Shoot 2024 by hand")
    os.rename(old_dir, new_dir)

    result = discover(runtime)

    assert result["adopted"] == [] and result["indexed"] == 0
    assert result["followed"] == [
        {"folder": "Shoot 2024 by hand", "project_id": project.id, "was": "Shoot"}
    ]
    assert len(projects(runtime)) == 1
    row = project_row(runtime, project.id)
    assert (row.name, row.folder) == ("Shoot", "Shoot 2024 by hand")
    manifest = read_manifest(new_dir / ".project.yaml")
    assert manifest is not None and (manifest.id, manifest.folder) == (project.id, row.folder)
    after = photos(runtime, project.id)
    assert {b: (p.id, p.filenames, decisions(p)) for b, p in after.items()} == {
        b: (p.id, p.filenames, decisions(p)) for b, p in before.items()
    }
    assert tags_of(runtime, before["DSC1"].id) == [("family", project.id), ("print", project.id)]
    assert originals(new_dir) == files_before
    assert pending_derivative_jobs(runtime) == queued_before, "nothing new to index"

    catalog = catalog_snapshot(runtime)
    again = discover(runtime)
    assert (again["adopted"], again["followed"], again["skipped"]) == ([], [], [])
    assert {k: v for k, v in catalog_snapshot(runtime).items() if k != "tasks"} == {
        k: v for k, v in catalog.items() if k != "tasks"
    }

    # Maintenance afterwards (cleaning, alignment, indexing) loses none of it either.
    start(runtime, "maintenance_global")
    run_all(runtime)
    final = project_row(runtime, project.id)
    assert originals(runtime.paths.project_dir(final.folder)) == files_before
    after = photos(runtime, project.id)
    assert {b: (p.id, decisions(p)) for b, p in after.items()} == {
        b: (p.id, decisions(p)) for b, p in before.items()
    }
    assert tags_of(runtime, before["DSC1"].id) == [("family", project.id), ("print", project.id)]


# -- folder_check ----------------------------------------------------------------------------------


def folder_check_results(runtime: Runtime) -> list[dict[str, Any]]:
    return [j.result or {} for j in jobs(runtime, "folder_check", JobStatus.COMPLETED)]


def test_folder_check_indexes_by_hand_and_leaves_unmanaged_files_alone(
    runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Studio")
    store(runtime, project, {"RAWONLY.DNG": samples.raw})
    store(runtime, project, {"DSC01234.JPG": samples.jpg})
    run_all(runtime)  # the uploads' own processing, before anything arrives by hand
    directory = runtime.paths.project_dir(project.folder)
    raw_only = photos(runtime, project.id)["RAWONLY"]
    assert raw_only.make == "Sheetmaker" and not raw_only.jpg_available
    # Copied in by hand:
    samples.variant("jpg", directory / "RAWONLY.JPG", "own")  # completes the RAW-only photo
    samples.copy("jpg_other", directory / "NEW_7.jpg")  # a new photo
    (directory / "DSC01234.xmp").write_text("<x:xmpmeta rating='5'/>")  # joins DSC01234
    (directory / "ORPHAN.xmp").write_text("<x:xmpmeta/>")  # no photo of that name
    (directory / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + os.urandom(2048))
    (directory / "notes.txt").write_text("client: Smith\n")
    unmanaged = {n: digest(directory / n) for n in ("clip.mp4", "notes.txt", "ORPHAN.xmp")}

    start(runtime, "maintenance", project_id=project.id)
    run_all(runtime)

    [report] = folder_check_results(runtime)[-1:]
    assert report["indexed"] == 3 and report["photos"] == 2  # the sidecar joins, adds none
    assert report["unmanaged"] == 2
    assert report["unmanaged_files"] == {project.folder: ["clip.mp4", "notes.txt"]}
    found = photos(runtime, project.id)
    assert {b: p.filenames for b, p in found.items()} == {
        "RAWONLY": ["RAWONLY.DNG", "RAWONLY.JPG"],
        "DSC01234": ["DSC01234.JPG", "DSC01234.xmp"],
        "NEW_7": ["NEW_7.jpg"],
    }
    completed = found["RAWONLY"]
    assert completed.id == raw_only.id, "the JPG joined the photo; no second photo"
    assert (completed.jpg_available, completed.raw_available) == (True, True)
    assert (completed.keep_jpg, completed.keep_raw) == (True, True)
    assert completed.make == "Contax", "the photo now speaks through its JPG"
    for name, value in unmanaged.items():
        assert digest(directory / name) == value, f"{name} was changed"
    assert not any((directory / ".trash").iterdir())
    for name in ("RAWONLY", "NEW_7", "DSC01234"):
        assert thumbnail(runtime, project.folder, name).is_file()
    assert sorted(visible(directory)) == sorted(
        [
            "DSC01234.JPG",
            "DSC01234.xmp",
            "NEW_7.jpg",
            "ORPHAN.xmp",
            "RAWONLY.DNG",
            "RAWONLY.JPG",
            "clip.mp4",
            "notes.txt",
        ]
    )

    # Every later run reports the same unmanaged files and still moves none of them.
    start(runtime, "maintenance_global")
    run_all(runtime)
    assert folder_check_results(runtime)[-1]["indexed"] == 0
    assert folder_check_results(runtime)[-1]["unmanaged_files"] == {
        project.folder: ["clip.mp4", "notes.txt"]
    }
    for name, value in unmanaged.items():
        assert digest(directory / name) == value
    assert not any((directory / ".trash").iterdir())


def test_two_checks_at_once_index_a_file_once_and_never_rename_it(
    runtime: Runtime, samples: Samples
) -> None:
    """A restore (or an upload) starts a check while one is running: both listed the folder
    before either indexed it. The second waits for the first and then finds the files known;
    it used to take the file just indexed for a stranger with the same name and rename it."""
    project = make_project(runtime, "Restored")
    directory = runtime.paths.project_dir(project.folder)
    samples.copy("raw", directory / "P1.DNG")
    samples.copy("jpg", directory / "P1.JPG")
    with runtime.db.read() as session:
        listed = new_files(session, runtime.paths, project)
    first_listing, second_listing = scan(listed), scan(listed)

    second: dict[str, Any] = {}

    def second_check() -> None:
        with runtime.db.write() as session:
            second["report"] = index_files(session, runtime.paths, project, second_listing)

    with runtime.db.write() as session:
        first = index_files(session, runtime.paths, project, first_listing)
        waiting = threading.Thread(target=second_check)
        waiting.start()
        waiting.join(0.5)  # the second check is now waiting for this transaction
    waiting.join(30)

    assert sorted(first.indexed) == ["P1.DNG", "P1.JPG"]
    report = second["report"]
    assert (report.indexed, report.renamed, report.identical) == ([], [], [])
    assert {b: sorted(p.filenames) for b, p in photos(runtime, project.id).items()} == {
        "P1": ["P1.DNG", "P1.JPG"]
    }
    assert sorted(originals(directory)) == ["P1.DNG", "P1.JPG"]


def test_reindexing_never_resets_user_decisions(runtime: Runtime, samples: Samples) -> None:
    project = make_project(runtime, "Culling")
    store(runtime, project, {"DSC5.JPG": samples.jpg})
    photo_id = photos(runtime, project.id)["DSC5"].id
    set_decisions(
        runtime,
        photo_id,
        keep_jpg=False,
        visibility=Visibility.PUBLIC,
        rating=4,
        pick=Pick.PICKED,
    )
    add_tags(runtime, photo_id, ["selects"])
    directory = runtime.paths.project_dir(project.folder)
    samples.copy("raw", directory / "DSC5.DNG")  # the RAW, copied in by hand

    start(runtime, "maintenance", project_id=project.id)
    run_all(runtime)

    indexed = photo(runtime, photo_id)
    assert indexed.filenames == ["DSC5.DNG", "DSC5.JPG"]
    assert (indexed.raw_available, indexed.keep_raw) == (True, True)
    assert decisions(indexed) == {
        "keep_jpg": False,
        "keep_raw": True,
        "visibility": Visibility.PUBLIC,
        "rating": 4,
        "pick": Pick.PICKED,
    }
    assert tags_of(runtime, photo_id) == [("selects", project.id)]

    # Indexing again, re-reading metadata, and the hourly maintenance change none of it.
    start(runtime, "regenerate_metadata")
    start(runtime, "maintenance_global")
    run_all(runtime)
    again = photo(runtime, photo_id)
    assert decisions(again) == decisions(indexed)
    assert tags_of(runtime, photo_id) == [("selects", project.id)]
    assert again.make == "Contax" and again.filenames == ["DSC5.DNG", "DSC5.JPG"]
