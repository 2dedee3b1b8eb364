"""Culling in a real browser: the selection toolbar (keep, rating, flag, tags, visibility, move,
regenerate), the commit bar (commit with its confirmation, revert) and the Trash (listing,
restoring, a restore refused because the place is taken). Each checks what the user sees and
what the server holds, on disk too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import imagefactory
from tests.browsersupport import WebApp, serious_violations, wait_until


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two RAW+JPG pairs (same basename) and two JPG-only photos, all small."""
    folder = tmp_path_factory.mktemp("shoot")
    files = {}
    for i in (1, 2):
        files[f"P{i}.JPG"] = imagefactory.jpeg(folder / f"P{i}.JPG", 320 + i, 213)
        files[f"P{i}.DNG"] = imagefactory.dng_with_preview(
            folder / f"P{i}.DNG", 400 + 2 * i, 266, 320 + 2 * i
        )
    for i in (3, 4):
        files[f"P{i}.JPG"] = imagefactory.jpeg(folder / f"P{i}.JPG", 330 + i, 220)
    return files


def project_with(
    web: WebApp, shoot: dict[str, Path], name: str = "Beach"
) -> tuple[str, dict[str, int]]:
    """A project holding the shoot, its derivatives made; returns its folder and ids by basename."""
    folder = web.project(name)
    web.upload(folder, *shoot.values())
    photos = wait_until(
        lambda: (
            (found := web.photos(folder))
            and len(found) == 4
            and all(p["thumbnail_status"] == "generated" for p in found)
            and found
        ),
        "the uploads and their thumbnails",
    )
    ids = {p["basename"]: p["id"] for p in photos}
    pairs = {p["basename"] for p in photos if p["jpg_available"] and p["raw_available"]}
    assert pairs == {"P1", "P2"}
    return folder, ids


def open_project(page: Any, folder: str) -> None:
    page.goto(f"/projects/{folder}")
    expect(page.locator("[data-photo-id]")).to_have_count(4)


def select(page: Any, *photo_ids: int) -> None:
    """Click the first photo, ctrl-click the others, as a user picks a few."""
    first, *rest = photo_ids
    page.locator(f'[data-photo-id="{first}"]').click()
    for photo_id in rest:
        page.locator(f'[data-photo-id="{photo_id}"]').click(modifiers=["Control"])
    expect(toolbar(page).locator(".selected-count")).to_have_text(f"{len(photo_ids)} selected")


def toolbar(page: Any) -> Any:
    return page.get_by_role("toolbar", name="Selected photos")


def photo(web: WebApp, folder: str, photo_id: int, **params: Any) -> dict[str, Any]:
    return next(p for p in web.photos(folder, **params) if p["id"] == photo_id)


def pending(web: WebApp) -> dict[str, int]:
    return dict(web.http.get("/api/photos/pending-deletes").json()["total"])


def names_under(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_toolbar_appears_with_a_selection_and_clears(
    page: Any, web: WebApp, shoot: dict[str, Path]
) -> None:
    folder, ids = project_with(web, shoot)
    open_project(page, folder)
    expect(toolbar(page)).to_be_hidden()
    select(page, ids["P1"], ids["P3"])
    expect(toolbar(page).get_by_role("button", name="Select all 4 matching photos")).to_be_visible()
    toolbar(page).get_by_role("button", name="Select all 4 matching photos").click()
    expect(toolbar(page).locator(".selected-count")).to_have_text("4 selected")
    toolbar(page).get_by_role("button", name="Clear the selection").click()
    expect(toolbar(page)).to_be_hidden()


def test_regenerate_forces_and_rewrites_the_derivatives(
    page: Any, web: WebApp, shoot: dict[str, Path]
) -> None:
    folder, ids = project_with(web, shoot)
    paths = web.runtime.paths

    def stamps(basename: str) -> dict[str, tuple[int, int]]:
        return {
            kind: (path.stat().st_ino, path.stat().st_mtime_ns)
            for kind, path in paths.derivative_files(folder, basename)
        }

    before = {name: stamps(name) for name in ("P1", "P3")}
    assert all(set(b) == {"thumbnail", "preview"} for b in before.values()), before
    open_project(page, folder)
    select(page, ids["P1"], ids["P3"])
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/api/photos/process")
    ) as sent:
        toolbar(page).get_by_role("button", name="Regenerate derivatives").click()
    body = sent.value.post_data_json
    assert body["force"] is True
    assert sorted(item["photo_id"] for item in body["items"]) == sorted([ids["P1"], ids["P3"]])
    expect(page.get_by_role("status")).to_contain_text("a job started")
    # The files were made again although the cached ones were valid.
    wait_until(
        lambda: all(
            set(now := stamps(name)) == {"thumbnail", "preview"}
            and all(now[kind] != before[name][kind] for kind in now)
            for name in ("P1", "P3")
        ),
        "the derivatives rewritten",
    )
    assert stamps("P2") and stamps("P4")


def test_rating_flag_tags_and_visibility_reach_the_server(
    page: Any, web: WebApp, shoot: dict[str, Path]
) -> None:
    folder, ids = project_with(web, shoot)
    open_project(page, folder)
    select(page, ids["P2"], ids["P4"])
    bar = toolbar(page)
    with page.expect_response(lambda r: r.url.endswith("/api/photos/rating")):
        bar.get_by_role("button", name="Rate 4 stars").click()
    with page.expect_response(lambda r: r.url.endswith("/api/photos/pick")):
        bar.get_by_role("button", name="Pick", exact=True).click()
    with page.expect_response(lambda r: r.url.endswith("/api/photos/visibility")):
        bar.get_by_role("button", name="Make public").click()
    bar.get_by_role("button", name="Add tags").click()
    page.get_by_label("Tags, separated by commas").fill(" sunset, beach ,,sunset")
    with page.expect_request(lambda r: r.url.endswith("/api/photos/tags/add")) as sent:
        page.get_by_role("dialog").get_by_role("button", name="Add tags").click()
    assert sent.value.post_data_json["tags"] == ["sunset", "beach"]
    for photo_id in (ids["P2"], ids["P4"]):
        item = wait_until(
            lambda pid=photo_id: (p := photo(web, folder, pid, include="tags"))["tags"] and p,
            "the tags",
        )
        assert (item["rating"], item["pick"], item["visibility"]) == (4, "picked", "public")
        assert sorted(item["tags"]) == ["beach", "sunset"]
    untouched = photo(web, folder, ids["P1"], include="tags")
    assert (untouched["rating"], untouched["pick"], untouched["tags"]) == (0, "unflagged", [])
    # Removing a tag and rejecting go through the same way.
    bar.get_by_role("button", name="Remove tags").click()
    page.get_by_label("Tags, separated by commas").fill("beach")
    page.get_by_role("dialog").get_by_role("button", name="Remove tags").click()
    with page.expect_response(lambda r: r.url.endswith("/api/photos/pick")):
        bar.get_by_role("button", name="Reject").click()
    wait_until(
        lambda: photo(web, folder, ids["P2"], include="tags")["tags"] == ["sunset"],
        "the tag removed",
    )
    assert photo(web, folder, ids["P4"])["pick"] == "rejected"


def test_discard_commit_trash_and_restore(page: Any, web: WebApp, shoot: dict[str, Path]) -> None:
    folder, ids = project_with(web, shoot, "Wedding")
    other = web.project("Empty one")
    project_dir = web.runtime.paths.project_dir(folder)
    open_project(page, folder)
    commit_bar = page.get_by_role("region", name="Pending deletions")
    expect(commit_bar).to_be_hidden()
    select(page, ids["P1"], ids["P3"])
    with page.expect_response(lambda r: r.url.endswith("/api/photos/keep")):
        toolbar(page).get_by_role("button", name="Discard").click()
    expect(commit_bar).to_contain_text("2 photos: 2 JPG, 1 RAW files will go to the trash")
    assert pending(web) == {"photos": 2, "jpg": 2, "raw": 1}
    assert serious_violations(page, ".toolbar", ".commit-bar") == []

    commit_bar.get_by_role("button", name=re.compile("^Commit")).click()
    dialog = page.get_by_role("dialog", name="Commit culling decisions?")
    expect(dialog).to_contain_text("Wedding — 2 photos: 2 JPG, 1 RAW files")
    assert serious_violations(page, "dialog") == []
    dialog.get_by_role("button", name="Move to trash").click()
    gone = ["P1.DNG", "P1.JPG", "P3.JPG"]
    trash_dir = web.runtime.paths.trash_dir(folder)
    # The originals (and the JPGs' derivatives, taken along) are in the project's .trash.
    wait_until(
        lambda: (
            set(gone)
            <= {re.sub(r"^\d{8}T\d{6}-[0-9a-f]{6}-", "", n) for n in names_under(trash_dir)}
        ),
        "the files in the project's trash",
    )
    visible = sorted(
        p.name for p in project_dir.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    assert not set(gone) & set(visible), visible
    expect(commit_bar).to_be_hidden()
    assert pending(web) == {"photos": 0, "jpg": 0, "raw": 0}
    expect(page.locator("[data-photo-id]")).to_have_count(2)

    page.get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash")).to_be_visible()
    rows = page.locator(".trash-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".trash-table")).to_contain_text("Wedding")
    expect(page.locator(".trash-table")).to_contain_text("Not kept (commit)")
    expect(rows.first.locator(".trash-left")).to_have_text(re.compile(r"^23 h \d+ min$"))
    restore = page.get_by_role("button", name=re.compile("^Restore"))
    expect(restore).to_be_disabled()
    assert serious_violations(page, "main") == []
    page.get_by_role("checkbox", name=re.compile(r"P3\.JPG$")).check()
    restore.click()
    expect(rows).to_have_count(2)
    assert (project_dir / "P3.JPG").is_file()
    # The restored file is indexed again: the photo is back in the project's listing.
    wait_until(lambda: "P3" in {p["basename"] for p in web.photos(folder)}, "P3 listed again")

    # A file now at the place of a trashed one: the restore is refused, and said so in words.
    (project_dir / "P1.JPG").write_bytes(b"someone else's file")
    page.get_by_role("checkbox", name="Select all entries").check()
    expect(restore).to_have_text("Restore 2")
    restore.click()
    expect(page.locator(".trash-problems")).to_contain_text(
        "P1.JPG was not restored: something else now has its place"
    )
    expect(rows).to_have_count(1)
    assert (project_dir / "P1.DNG").is_file()
    assert (project_dir / "P1.JPG").read_bytes() == b"someone else's file"

    # The project filter narrows the list (and is in the address).
    page.get_by_label("Project", exact=True).select_option(other)
    expect(page).to_have_url(re.compile(r"/trash\?project="))
    expect(page.locator(".trash-empty")).to_have_text("Nothing from this project is in the trash.")


def test_revert_clears_pending_and_reloads_the_listing(
    page: Any, web: WebApp, shoot: dict[str, Path]
) -> None:
    folder, ids = project_with(web, shoot)
    open_project(page, folder)
    select(page, ids["P2"])
    with page.expect_response(lambda r: r.url.endswith("/api/photos/keep")):
        toolbar(page).get_by_role("button", name="Keep JPG only").click()
    commit_bar = page.get_by_role("region", name="Pending deletions")
    expect(commit_bar).to_contain_text("1 photo: 1 RAW file will go to the trash")
    assert photo(web, folder, ids["P2"])["keep_raw"] is False
    commit_bar.get_by_role("button", name=re.compile("^Revert")).click()
    dialog = page.get_by_role("dialog", name="Revert culling decisions?")
    with page.expect_request(re.compile(r"/api/projects/[^/]+/photos\?")):
        dialog.get_by_role("button", name="Revert").click()
    expect(commit_bar).to_be_hidden()
    assert pending(web)["photos"] == 0
    assert photo(web, folder, ids["P2"])["keep_raw"] is True
    assert (web.runtime.paths.project_dir(folder) / "P2.DNG").is_file()


def test_move_to_another_project(page: Any, web: WebApp, shoot: dict[str, Path]) -> None:
    folder, ids = project_with(web, shoot, "Ceremony")
    dest = web.project("Party")
    open_project(page, folder)
    select(page, ids["P1"], ids["P4"])
    toolbar(page).get_by_role("button", name="Move to project").click()
    dialog = page.get_by_role("dialog")
    options = dialog.get_by_label("Destination project").locator("option").all_text_contents()
    assert options == ["Party"]  # not the project the photos are in
    with page.expect_request(lambda r: r.url.endswith("/api/photos/move")) as sent:
        dialog.get_by_role("button", name="Move").click()
    assert sent.value.post_data_json["dest_folder"] == dest
    expect(page.get_by_role("status")).to_contain_text("Moving 2 photos to Party")
    wait_until(lambda: {p["basename"] for p in web.photos(dest)} == {"P1", "P4"}, "the move")
    dest_dir = web.runtime.paths.project_dir(dest)
    assert {"P1.JPG", "P1.DNG", "P4.JPG"} <= {p.name for p in dest_dir.iterdir()}
    expect(page.locator("[data-photo-id]")).to_have_count(2)
    expect(toolbar(page)).to_be_hidden()


def test_toolbar_at_phone_width(page: Any, web: WebApp, shoot: dict[str, Path]) -> None:
    folder, ids = project_with(web, shoot)
    page.set_viewport_size({"width": 390, "height": 800})
    open_project(page, folder)
    select(page, ids["P3"])
    bar = toolbar(page)
    expect(bar.get_by_role("button", name="Move to project")).to_be_hidden()
    bar.get_by_role("button", name="More actions").click()
    expect(bar.get_by_role("button", name="Move to project")).to_be_visible()
    assert serious_violations(page, ".toolbar") == []
    page.keyboard.press("Escape")
    expect(bar.get_by_role("button", name="Move to project")).to_be_hidden()
    expect(bar).to_be_visible()  # Esc closed the menu, not the selection
    box = bar.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
