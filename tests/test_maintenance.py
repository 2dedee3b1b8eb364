"""Drift scenarios (docs/maintenance.md): the library drifts the ways users make it drift, one
`maintenance_global` run (through the real queue, every step) brings it back, and `check` is then
clean. None of them may lose a file or a decision the user did not ask to lose.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from contactsheet.catalog.task_requests import start_maintenance
from contactsheet.clock import shifted
from contactsheet.db.enums import ArchiveReason, DerivativeKind, Pick, ProjectStatus, Visibility
from contactsheet.db.tables import Derivative, Job, TrashEntry
from contactsheet.handlers import default_registry
from contactsheet.maintenance.check import CheckReport, check_library
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    add_tags,
    decisions,
    make_project,
    make_samples,
    photos,
    preview,
    project_row,
    projects,
    run_all,
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


def maintain(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """One `maintenance_global` run as `contactsheet maintenance run` starts it, then whatever it
    queued (derivative generation); each step's result by step type."""
    job = start_maintenance(
        runtime, default_registry(runtime.settings.pipeline), "maintenance_global", None
    )
    run_all(runtime)
    with runtime.db.read() as session:
        rows = session.scalars(select(Job).where(Job.task_id == job.task_id).order_by(Job.id))
        results = {j.type: j.result or {} for j in rows}
    assert len(results) == len(runtime.queue.definition("maintenance_global").steps), results
    return results


def changed(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The non-zero `changed` counts of each step."""
    out = {}
    for step, result in results.items():
        counts = {k: v for k, v in result.get("changed", {}).items() if v}
        if counts:
            out[step] = counts
    return out


def check(runtime: Runtime) -> CheckReport:
    return check_library(runtime)


def kinds(report: CheckReport, severity: str = "error") -> dict[str, int]:
    found: dict[str, int] = {}
    for problem in report.problems:
        if problem.severity == severity:
            found[problem.kind] = found.get(problem.kind, 0) + 1
    for finding in report.findings:
        found[finding.kind] = found.get(finding.kind, 0) + 1
    return found if severity == "error" else {k: v for k, v in found.items()}


def assert_clean(runtime: Runtime) -> CheckReport:
    report = check(runtime)
    assert report.clean, report.as_dict()
    return report


def shoot(runtime: Runtime, samples: Samples, name: str, files: dict[str, str]) -> Any:
    """A project with `files` (name → sample kind), stored as an upload stores them, with its
    thumbnails and previews made."""
    project = make_project(runtime, name)
    outside = runtime.paths.root.parent / "sources" / project.folder
    sources = {n: samples.variant(k, outside / n, f"{name}/{n}") for n, k in files.items()}
    store(runtime, project, sources)
    run_all(runtime)
    return project


# -- derivatives -----------------------------------------------------------------------------------


def test_deleted_thumbnails_are_made_again(runtime: Runtime, samples: Samples) -> None:
    project = shoot(runtime, samples, "Thumbs", {"DSC1.JPG": "jpg", "DSC2.JPG": "jpg"})
    assert_clean(runtime)
    for basename in ("DSC1", "DSC2"):
        thumbnail(runtime, project.folder, basename).unlink()
    assert kinds(check(runtime)) == {"derivative_missing": 2}

    results = maintain(runtime)

    assert changed(results)["cache_validation"] == {"marked_missing": 2, "queued_for_generation": 2}
    for basename in ("DSC1", "DSC2"):
        assert thumbnail(runtime, project.folder, basename).is_file()
    assert_clean(runtime)
    assert changed(maintain(runtime)) == {}, "a healthy library: nothing to change"


def test_deleted_previews_and_their_records_are_made_again(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Previews", {"DSC1.JPG": "jpg", "DSC2.JPG": "jpg"})
    for basename in ("DSC1", "DSC2"):
        preview(runtime, project.folder, basename).unlink()
    with runtime.db.write() as session:
        session.execute(delete(Derivative).where(Derivative.kind == DerivativeKind.PREVIEW))
    assert kinds(check(runtime), "info") == {"derivative_pending": 2}

    maintain(runtime)

    for basename in ("DSC1", "DSC2"):
        assert preview(runtime, project.folder, basename).is_file()
    report = assert_clean(runtime)
    assert "derivative_pending" not in report.counts()


# -- files -----------------------------------------------------------------------------------------


def test_deleting_the_jpg_of_a_pair_keeps_the_raw_and_every_decision(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Pairs", {"DSC1.JPG": "jpg", "DSC1.DNG": "raw"})
    [photo] = photos(runtime, project.id).values()
    set_decisions(runtime, photo.id, rating=4, pick=Pick.PICKED, visibility=Visibility.PUBLIC)
    add_tags(runtime, photo.id, ["bride"])
    thumb_before = thumbnail(runtime, project.folder, "DSC1").read_bytes()
    (runtime.paths.project_dir(project.folder) / "DSC1.JPG").unlink()
    assert kinds(check(runtime)) == {
        "file_missing": 1,
        "availability_wrong": 1,
        "derivative_outdated": 2,
    }

    results = maintain(runtime)

    assert changed(results)["manifest_check"] == {"photos_fixed": 1}
    after = photos(runtime, project.id)["DSC1"]
    assert after.filenames == ["DSC1.DNG"]
    assert (after.jpg_available, after.raw_available, after.keep_raw) == (False, True, True)
    assert (after.rating, after.pick, after.visibility) == (4, Pick.PICKED, Visibility.PUBLIC)
    assert tags_of(runtime, photo.id) == [("bride", project.id)]
    with runtime.db.read() as session:
        sources = set(session.scalars(select(Derivative.source_name)))
    assert sources == {"DSC1.DNG"}, "the thumbnail is made from the RAW now"
    assert thumbnail(runtime, project.folder, "DSC1").read_bytes() != thumb_before
    assert_clean(runtime)


def test_photos_added_by_hand_are_indexed_and_other_files_left_alone(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "By hand", {"DSC1.JPG": "jpg"})
    folder = runtime.paths.project_dir(project.folder)
    samples.variant("jpg", folder / "DSC2.JPG", "hand")
    samples.variant("raw", folder / "DSC3.DNG", "hand")
    (folder / "notes.txt").write_text("second shooter: Ana")
    (folder / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42 a video")
    (folder / "DSC3.xmp").write_text("<x:xmpmeta/>")
    report = check(runtime)
    assert kinds(report) == {"file_without_photo": 3}
    assert kinds(report, "info") == {"unmanaged_file": 2}

    maintain(runtime)

    found = photos(runtime, project.id)
    assert {b: p.filenames for b, p in found.items()} == {
        "DSC1": ["DSC1.JPG"],
        "DSC2": ["DSC2.JPG"],
        "DSC3": ["DSC3.DNG", "DSC3.xmp"],
    }
    assert (folder / "notes.txt").read_text() == "second shooter: Ana"
    assert (folder / "clip.mp4").is_file() and list((folder / ".trash").iterdir()) == []
    report = assert_clean(runtime)
    assert kinds(report, "info") == {"unmanaged_file": 2}, "still reported, as information"
    assert thumbnail(runtime, project.folder, "DSC3").is_file()


def test_a_hand_made_project_folder_becomes_a_project(runtime: Runtime, samples: Samples) -> None:
    hand = runtime.paths.projects_root / "Studio session"
    samples.variant("jpg", hand / "IMG_1.JPG", "studio")
    assert kinds(check(runtime)) == {"folder_without_project": 1}

    maintain(runtime)

    [project] = projects(runtime)
    assert (project.name, project.folder) == ("Studio session", "Studio session")
    assert thumbnail(runtime, project.folder, "IMG_1").is_file()
    assert_clean(runtime)


def test_a_folder_from_another_install_becomes_a_new_project_untouched(
    runtime: Runtime, samples: Samples
) -> None:
    from contactsheet.library.manifest import Manifest, write_manifest

    existing = shoot(runtime, samples, "Ours", {"A1.JPG": "jpg"})
    copied = runtime.paths.projects_root / "Theirs"
    samples.variant("jpg", copied / "B1.JPG", "theirs")
    samples.variant("raw", copied / "B2.DNG", "theirs")
    write_manifest(
        copied / ".project.yaml",
        Manifest(987654, "Theirs", "Theirs", "user_0", datetime(2021, 1, 1, tzinfo=UTC)),
    )
    before = {k: v for k, v in tree(copied).items() if k != ".project.yaml"}

    maintain(runtime)

    by_folder = {p.folder: p for p in projects(runtime)}
    assert sorted(by_folder) == ["Ours", "Theirs"] and by_folder["Ours"].id == existing.id
    assert 987654 not in {p.id for p in by_folder.values()}
    after = tree(copied)
    assert {k: after[k] for k in before} == before, "nothing merged, moved or deleted"
    assert set(photos(runtime, by_folder["Theirs"].id)) == {"B1", "B2"}
    assert_clean(runtime)


def test_unmanaged_files_stay_and_a_sidecar_travels_with_its_photo(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    source = shoot(runtime, samples, "Source", {"DSC1.JPG": "jpg", "DSC2.JPG": "jpg"})
    dest = shoot(runtime, samples, "Dest", {"OTHER.JPG": "jpg"})
    folder = runtime.paths.project_dir(source.folder)
    (folder / "DSC1.xmp").write_text("<x:xmpmeta>rating 5</x:xmpmeta>")
    (folder / "readme.txt").write_text("do not lose me")
    (folder / "clip.mov").write_bytes(b"\0\0\0\x14ftypqt   a video")
    maintain(runtime)
    assert photos(runtime, source.id)["DSC1"].filenames == ["DSC1.JPG", "DSC1.xmp"]
    three_runs = [maintain(runtime) for _ in range(2)]
    assert all(changed(r) == {} for r in three_runs)
    assert visible(folder) == ["DSC1.JPG", "DSC1.xmp", "DSC2.JPG", "clip.mov", "readme.txt"]
    assert kinds(assert_clean(runtime), "info") == {"unmanaged_file": 2}

    photo_id = photos(runtime, source.id)["DSC1"].id
    response = admin.post(
        "/api/photos/move", json={"items": [{"photo_id": photo_id}], "dest_folder": dest.folder}
    )
    assert response.status_code == 202, response.text
    run_all(runtime)
    dest_dir = runtime.paths.project_dir(dest.folder)
    assert (dest_dir / "DSC1.xmp").read_text() == "<x:xmpmeta>rating 5</x:xmpmeta>"
    assert visible(folder) == ["DSC2.JPG", "clip.mov", "readme.txt"]
    maintain(runtime)
    assert_clean(runtime)


# -- folders ---------------------------------------------------------------------------------------


def test_renaming_a_project_moves_its_folder(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Working title", {"DSC1.JPG": "jpg"})
    response = admin.patch(f"/api/projects/{project.folder}", json={"name": "Smith wedding"})
    assert response.status_code == 200, response.text
    maintain(runtime)
    assert project_row(runtime, project.id).folder == "Smith wedding"
    assert visible(runtime.paths.project_dir("Smith wedding")) == ["DSC1.JPG"]
    assert_clean(runtime)


def test_a_folder_renamed_by_hand_keeps_every_row_and_decision(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(
        runtime, samples, "Wedding", {"DSC1.JPG": "jpg", "DSC1.DNG": "raw", "DSC2.JPG": "jpg"}
    )
    by_name = photos(runtime, project.id)
    set_decisions(
        runtime, by_name["DSC1"].id, keep_jpg=False, rating=5, visibility=Visibility.PUBLIC
    )
    set_decisions(runtime, by_name["DSC2"].id, pick=Pick.REJECTED, rating=1)
    add_tags(runtime, by_name["DSC1"].id, ["first dance"])
    before = {b: decisions(p) for b, p in photos(runtime, project.id).items()}
    old = runtime.paths.project_dir(project.folder)
    os.rename(old, old.with_name("2024-06 Wedding"))

    results = maintain(runtime)

    assert changed(results)["orphaned_project_cleanup"] == {"followed": 1}
    row = project_row(runtime, project.id)
    assert row.status == ProjectStatus.ACTIVE and row.missing_since is None
    assert row.folder == "Wedding", "followed, then aligned with the project's name again"
    after = photos(runtime, project.id)
    assert {b: decisions(p) for b, p in after.items()} == before
    assert {b: p.id for b, p in after.items()} == {b: p.id for b, p in by_name.items()}
    assert tags_of(runtime, by_name["DSC1"].id) == [("first dance", project.id)]
    assert_clean(runtime)


def test_a_removed_folder_is_marked_missing_then_archived_an_hour_later_and_revived(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    project = shoot(runtime, samples, "On the NAS", {"DSC1.JPG": "jpg", "DSC2.JPG": "jpg"})
    dsc1 = photos(runtime, project.id)["DSC1"]
    set_decisions(runtime, dsc1.id, rating=3, keep_jpg=False)
    add_tags(runtime, dsc1.id, ["keeper"])
    folder = runtime.paths.project_dir(project.folder)
    unplugged = tmp_path / "unplugged"
    shutil.move(folder, unplugged)

    first = maintain(runtime)
    assert changed(first)["orphaned_project_cleanup"] == {"marked_missing": 1}
    row = project_row(runtime, project.id)
    assert row.status == ProjectStatus.ACTIVE and row.missing_since is not None
    assert set(photos(runtime, project.id)) == {"DSC1", "DSC2"}, "nothing deleted"
    assert "manifest_cleaning" not in changed(first) and "manifest_check" not in changed(first)
    assert kinds(check(runtime)) == {"project_missing": 1}

    # Back before the hour is up: healthy again, with all its rows.
    shutil.move(unplugged, folder)
    maintain(runtime)
    assert project_row(runtime, project.id).missing_since is None
    assert_clean(runtime)

    # Gone again: a run half an hour later does not archive; one an hour after the first does.
    shutil.move(folder, unplugged)
    maintain(runtime)
    with shifted(timedelta(minutes=30)):
        maintain(runtime)
    assert project_row(runtime, project.id).status == ProjectStatus.ACTIVE
    with shifted(timedelta(minutes=61)):
        results = maintain(runtime)
    assert changed(results)["orphaned_project_cleanup"] == {"archived": 1}
    row = project_row(runtime, project.id)
    assert (row.status, row.archived_reason) == (ProjectStatus.ARCHIVED, ArchiveReason.FOLDER_LOST)
    assert set(photos(runtime, project.id)) == {"DSC1", "DSC2"}, "archived with its rows"
    with shifted(timedelta(days=3)):
        maintain(runtime)  # days later: the lost folder is still never purged or scavenged

    shutil.move(unplugged, folder)
    results = maintain(runtime)
    assert changed(results)["folder_discovery"]["revived"] == 1
    row = project_row(runtime, project.id)
    assert (row.status, row.folder, row.archived_reason) == (
        ProjectStatus.ACTIVE,
        "On the NAS",
        None,
    )
    back = photos(runtime, project.id)["DSC1"]
    assert (back.id, back.rating, back.keep_jpg) == (dsc1.id, 3, False)
    assert tags_of(runtime, dsc1.id) == [("keeper", project.id)]
    assert_clean(runtime)


def test_the_same_basename_in_two_projects_is_renamed_in_the_newer_one(
    runtime: Runtime, samples: Samples
) -> None:
    older = shoot(runtime, samples, "Older", {"DSC1.JPG": "jpg"})
    newer = shoot(runtime, samples, "Newer", {"DSC1.JPG": "jpg", "DSC1.DNG": "raw"})
    newer_dir = runtime.paths.project_dir(newer.folder)
    (newer_dir / "DSC1.xmp").write_text("<x:xmpmeta/>")
    maintain(runtime)  # the sidecar joins; the rename happened in this same run
    photo = photos(runtime, newer.id)["DSC1_duplicate1"]
    set_decisions(runtime, photo.id, rating=2)
    older_before = tree(runtime.paths.project_dir(older.folder))

    assert changed(maintain(runtime)) == {}
    assert photo.filenames == ["DSC1_duplicate1.DNG", "DSC1_duplicate1.JPG", "DSC1_duplicate1.xmp"]
    assert visible(newer_dir) == photo.filenames
    assert thumbnail(runtime, newer.folder, "DSC1_duplicate1").is_file()
    assert preview(runtime, newer.folder, "DSC1_duplicate1").is_file()
    assert not thumbnail(runtime, newer.folder, "DSC1").exists()
    assert photos(runtime, newer.id)["DSC1_duplicate1"].rating == 2
    assert tree(runtime.paths.project_dir(older.folder)) == older_before
    assert list(photos(runtime, older.id)) == ["DSC1"]
    assert_clean(runtime)


def test_renaming_a_photo_whole_keeps_its_records_and_derivatives(
    runtime: Runtime, samples: Samples
) -> None:
    shoot(runtime, samples, "First", {"IMG_7.JPG": "jpg"})
    second = shoot(runtime, samples, "Second", {"IMG_7.JPG": "jpg"})
    photo = photos(runtime, second.id)["IMG_7"]
    add_tags(runtime, photo.id, ["b-roll"])
    with runtime.db.read() as session:
        made = {
            d.kind: d.file_size
            for d in session.scalars(select(Derivative).where(Derivative.photo_id == photo.id))
        }

    results = maintain(runtime)

    assert changed(results)["duplicate_resolution"] == {"photos_renamed": 1, "files_renamed": 3}
    renamed = photos(runtime, second.id)["IMG_7_duplicate1"]
    assert renamed.id == photo.id and tags_of(runtime, photo.id) == [("b-roll", second.id)]
    with runtime.db.read() as session:
        records = {
            d.kind: d
            for d in session.scalars(select(Derivative).where(Derivative.photo_id == photo.id))
        }
    assert {k: r.file_size for k, r in records.items()} == made
    assert {r.source_name for r in records.values()} == {"IMG_7_duplicate1.JPG"}
    assert changed(results).get("cache_validation") is None
    assert_clean(runtime)


def test_two_projects_named_alike_settle_after_one_run(runtime: Runtime, samples: Samples) -> None:
    first = shoot(runtime, samples, "Portraits", {"P1.JPG": "jpg"})
    second = shoot(runtime, samples, "portraits", {"P2.JPG": "jpg"})
    assert (first.folder, second.folder) == ("Portraits", "portraits (2)")
    folders = []
    for _ in range(3):
        maintain(runtime)
        folders.append(sorted(p.folder for p in projects(runtime)))
    assert folders == [["Portraits", "portraits (2)"]] * 3
    assert_clean(runtime)


# -- decisions and the trash -----------------------------------------------------------------------


def test_public_photos_and_pending_keep_decisions_survive_runs_and_forced_regeneration(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(
        runtime, samples, "Gallery", {"G1.JPG": "jpg", "G1.DNG": "raw", "G2.JPG": "jpg"}
    )
    by_name = photos(runtime, project.id)
    set_decisions(runtime, by_name["G1"].id, visibility=Visibility.PUBLIC, keep_raw=False, rating=5)
    set_decisions(runtime, by_name["G2"].id, keep_jpg=False, pick=Pick.REJECTED)
    before = {b: decisions(p) for b, p in photos(runtime, project.id).items()}

    maintain(runtime)
    start(
        runtime,
        "generate_derivatives",
        project_id=project.id,
        payload={"photo_ids": sorted(p.id for p in by_name.values()), "force": True},
    )
    run_all(runtime)
    maintain(runtime)

    assert {b: decisions(p) for b, p in photos(runtime, project.id).items()} == before
    assert_clean(runtime)


def test_an_old_original_committed_today_is_kept_a_day(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Culled", {"OLD1.JPG": "jpg", "OLD1.DNG": "raw"})
    folder = runtime.paths.project_dir(project.folder)
    years_ago = (datetime.now(UTC) - timedelta(days=6 * 365)).timestamp()
    os.utime(folder / "OLD1.DNG", (years_ago, years_ago))
    photo = photos(runtime, project.id)["OLD1"]
    set_decisions(runtime, photo.id, keep_raw=False)
    response = admin.post("/api/photos/commit-changes", json={})
    assert response.status_code == 202, response.text
    run_all(runtime)
    [trashed] = list((folder / ".trash").iterdir())

    maintain(runtime)
    assert trashed.is_file(), "trashed today: kept, however old the file is"
    with shifted(timedelta(hours=23)):
        maintain(runtime)
    assert trashed.is_file()
    with shifted(timedelta(hours=25)):
        maintain(runtime)
    assert not trashed.exists()
    with runtime.db.read() as session:
        assert session.scalars(select(TrashEntry.purged_at)).one() is not None
    assert photos(runtime, project.id)["OLD1"].filenames == ["OLD1.JPG"]
    assert_clean(runtime)


# -- what is never changed -------------------------------------------------------------------------


def test_an_emptied_folder_wipes_nothing_and_becomes_a_finding(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    """A mount point whose disk is not mounted: the folder is there, empty of every file."""
    project = shoot(runtime, samples, "Mounted", {"M1.JPG": "jpg", "M2.JPG": "jpg"})
    set_decisions(runtime, photos(runtime, project.id)["M1"].id, rating=4)
    folder = runtime.paths.project_dir(project.folder)
    aside = tmp_path / "disk"
    shutil.move(folder, aside)
    folder.mkdir()

    results = maintain(runtime)

    assert "manifest_cleaning" not in changed(results) and "manifest_check" not in changed(results)
    assert set(photos(runtime, project.id)) == {"M1", "M2"}
    assert not (folder / ".project.yaml").exists(), "no manifest written into an empty mount point"
    assert kinds(check(runtime)) == {"folder_emptied": 1}

    folder.rmdir()
    shutil.move(aside, folder)
    maintain(runtime)
    assert photos(runtime, project.id)["M1"].rating == 4
    assert_clean(runtime)


def test_a_folder_holding_another_projects_manifest_is_left_alone(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    from contactsheet.library.manifest import Manifest, write_manifest

    project = shoot(runtime, samples, "Swapped", {"S1.JPG": "jpg", "S2.JPG": "jpg"})
    folder = runtime.paths.project_dir(project.folder)
    (folder / "S1.JPG").unlink()
    original = (folder / ".project.yaml").read_bytes()
    write_manifest(
        folder / ".project.yaml",
        Manifest(424242, "Elsewhere", "Elsewhere", "user_0", datetime(2020, 1, 1, tzinfo=UTC)),
    )

    maintain(runtime)

    assert set(photos(runtime, project.id)) == {"S1", "S2"}, "not its folder: nothing wiped"
    findings = admin.get("/api/maintenance/findings").json()["items"]
    assert [(f["kind"], f["project"]) for f in findings] == [("foreign_manifest", "Swapped")]
    assert "424242" in findings[0]["message"]
    assert kinds(check(runtime)) == {"foreign_manifest": 1}

    (folder / ".project.yaml").write_bytes(original)
    maintain(runtime)
    assert admin.get("/api/maintenance/findings").json()["items"] == []
    assert set(photos(runtime, project.id)) == {"S2"}, "its own folder again: S1 without files goes"
    assert_clean(runtime)


def test_a_photo_whose_every_file_is_gone_is_removed_with_its_derivatives(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Cleaned", {"C1.JPG": "jpg", "C2.JPG": "jpg"})
    folder = runtime.paths.project_dir(project.folder)
    (folder / "C2.xmp").write_text("<x:xmpmeta/>")
    maintain(runtime)
    (folder / "C2.JPG").unlink()
    assert kinds(check(runtime)) == {"photo_without_files": 1}

    results = maintain(runtime)

    assert changed(results)["manifest_cleaning"] == {
        "photos_deleted": 1,
        "derivative_files_deleted": 2,
    }
    assert set(photos(runtime, project.id)) == {"C1"}
    assert not thumbnail(runtime, project.folder, "C2").exists()
    assert (folder / "C2.xmp").is_file(), "the user's sidecar stays"
    report = assert_clean(runtime)
    assert kinds(report, "info") == {"waiting_sidecar": 1}


def test_leftovers_older_than_a_day_are_removed_and_counted(
    runtime: Runtime, samples: Samples
) -> None:
    project = shoot(runtime, samples, "Leftovers", {"L1.JPG": "jpg"})
    folder = runtime.paths.project_dir(project.folder)
    old_temp = folder / ".tmp-k3j2h1.JPG"
    old_thumb = folder / ".thumb" / ".tmp-9x8y7z.webp"
    old_part = folder / ".upload-0123abcd.part"
    fresh = folder / ".tmp-now.JPG"
    for path in (old_temp, old_thumb, old_part, fresh):
        path.write_bytes(b"half written")
    two_days = datetime.now(UTC).timestamp() - 2 * 86400
    for path in (old_temp, old_thumb, old_part):
        os.utime(path, (two_days, two_days))
    assert kinds(check(runtime)) == {"leftover": 3}

    results = maintain(runtime)

    assert changed(results)["leftover_cleanup"] == {"temporary_files_removed": 3}
    assert fresh.exists() and not any(p.exists() for p in (old_temp, old_thumb, old_part))
    assert (folder / "L1.JPG").is_file()
    assert_clean(runtime)
