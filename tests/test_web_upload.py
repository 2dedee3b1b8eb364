"""The web UI's upload, in Chromium: files chosen through the Upload button's input go through
the conflict analysis (docs/ingest.md) before anything is sent, then through the queue (small
files as multipart, large ones through tus) and appear in the project without a reload; a tus
upload survives a cut connection and a page reload, resuming from the server's offset; a file
the server refuses is explained in words."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browsersupport import WebApp
from tests.imagefactory import jpeg, not_an_image

TUS_CHUNK = 5 * 1024 * 1024  # model/uploadqueue.js TUS_CHUNK
TUS_THRESHOLD = 8 * 1024 * 1024  # model/uploadqueue.js TUS_THRESHOLD


def noise_jpeg(path: Path, width: int = 2500, height: int = 2400) -> Path:
    """A real JPEG above the tus threshold: noise at quality 100 hardly compresses."""
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100)
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size > max(TUS_THRESHOLD, 2 * TUS_CHUNK)  # three PATCHes
    return path


def open_project(page: Any, web: WebApp, folder: str) -> None:
    page.goto(f"/projects/{folder}")
    expect(page.locator(".photo-count")).to_be_visible()


def choose(page: Any, *files: Path | dict[str, Any]) -> None:
    payload = [f if isinstance(f, dict) else str(f) for f in files]
    page.locator('input[data-upload="files"]').set_input_files(payload)


def stored_bytes(web: WebApp, folder: str, name: str) -> bytes:
    return (web.runtime.paths.project_dir(folder) / name).read_bytes()


def test_chosen_files_are_analysed_then_uploaded_and_appear(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Chosen")
    first = jpeg(tmp_path / "IMG_0001.JPG", 640, 480)
    second = jpeg(tmp_path / "IMG_0002.JPG", 480, 640)
    open_project(page, web, folder)
    expect(page.get_by_role("button", name="Upload", exact=True)).to_be_visible()

    choose(page, first, second)
    dialog = page.locator("dialog.upload-dialog")
    expect(dialog.locator('[data-class="new"] .upload-class-count')).to_have_text("2")
    assert web.photos(folder) == []  # nothing is sent before the user says so
    dialog.get_by_role("button", name="Upload 2 files").click()

    strip = page.locator(".upload-strip")
    expect(strip.locator(".upload-strip-heading")).to_have_text("2 added")
    expect(page.locator(".photo-count")).to_have_text("2 photos")
    assert sorted(p["filenames"][0] for p in web.photos(folder)) == [
        "IMG_0001.JPG",
        "IMG_0002.JPG",
    ]
    assert stored_bytes(web, folder, "IMG_0001.JPG") == first.read_bytes()
    images = page.locator(".grid img")
    if images.count():
        expect(images.first).to_be_visible()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.grid img')].some((i) => i.naturalWidth > 0)"
        )


@pytest.mark.parametrize("choice", ["keep_both", "skip"])
def test_conflict_dialog_tells_a_duplicate_from_a_different_photo(
    page: Any, web: WebApp, tmp_path: Path, choice: str
) -> None:
    folder = web.project("Conflicts")
    (tmp_path / "here").mkdir()
    (tmp_path / "new").mkdir()
    same = jpeg(tmp_path / "here" / "IMG_0001.JPG", 640, 480)
    old = jpeg(tmp_path / "here" / "IMG_0002.JPG", 600, 400)
    web.upload(folder, same, old)
    other = jpeg(tmp_path / "new" / "IMG_0002.JPG", 800, 600)  # same name, other picture
    assert other.read_bytes() != old.read_bytes()
    open_project(page, web, folder)
    expect(page.locator(".photo-count")).to_have_text("2 photos")

    choose(page, same, other)
    dialog = page.locator("dialog.upload-dialog")
    # Names are analysed first (both "unknown"), then the contents once hashed in the page.
    expect(dialog.locator('[data-class="identical"] .upload-class-count')).to_have_text("1")
    expect(dialog.locator('[data-class="name_taken"] .upload-class-count')).to_have_text("1")
    expect(dialog.locator('[data-class="unknown"]')).to_have_count(0)
    conflict = dialog.locator('[data-class="name_taken"]')
    expect(conflict.get_by_label("Keep both", exact=False)).to_be_checked()
    expect(conflict.get_by_label("Skip these files")).to_be_visible()
    expect(conflict.get_by_label("Replace the files here", exact=False)).to_be_visible()
    expect(conflict).to_contain_text("IMG_0002_2.JPG")
    if choice == "skip":
        conflict.get_by_label("Skip these files").check()
        dialog.get_by_role("button", name="Cancel").wait_for()
        expect(dialog.locator(".dialog-actions .primary")).to_be_disabled()
        expect(dialog.locator(".dialog-actions .primary")).to_have_text("Upload 0 files")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        assert len(web.photos(folder)) == 2
        return
    dialog.get_by_role("button", name="Upload 1 file").click()
    heading = page.locator(".upload-strip-heading")
    expect(heading).to_have_text("1 added, 1 skipped as duplicates")
    expect(page.locator(".photo-count")).to_have_text("3 photos")
    names = sorted(p["filenames"][0] for p in web.photos(folder))
    assert names == ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0002_2.JPG"]
    assert stored_bytes(web, folder, "IMG_0002_2.JPG") == other.read_bytes()
    assert stored_bytes(web, folder, "IMG_0002.JPG") == old.read_bytes()


def forget_cut_connections(web: WebApp) -> None:
    """The connection resets these tests cause on purpose are logged by Chromium as errors."""
    web.console_errors[:] = [e for e in web.console_errors if "ERR_CONNECTION_RESET" not in e]


def _patches(page: Any) -> list[dict[str, str]]:
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: sent.append(request.headers) if request.method == "PATCH" else None,
    )
    return sent


def test_tus_upload_resumes_after_the_connection_is_cut(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Resumable")
    big = noise_jpeg(tmp_path / "BIG_0001.JPG")
    patches = _patches(page)
    cut = {"done": False, "count": 0}

    def cut_second_patch(route: Any) -> None:
        if route.request.method == "PATCH":
            cut["count"] += 1
            if cut["count"] == 2 and not cut["done"]:
                cut["done"] = True
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/uploads/tus/**", cut_second_patch)
    open_project(page, web, folder)
    choose(page, big)
    page.locator("dialog.upload-dialog").get_by_role("button", name="Upload 1 file").click()

    expect(page.locator(".upload-strip-heading")).to_have_text("1 added", timeout=20_000)
    expect(page.locator(".photo-count")).to_have_text("1 photo")
    assert cut["done"]
    offsets = [int(headers["upload-offset"]) for headers in patches]
    # First chunk, the cut one, then the retry from the server's offset (not from zero).
    assert offsets[:3] == [0, TUS_CHUNK, TUS_CHUNK]
    assert stored_bytes(web, folder, "BIG_0001.JPG") == big.read_bytes()
    forget_cut_connections(web)


def test_tus_upload_resumes_after_a_reload(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder = web.project("Reloaded")
    big = noise_jpeg(tmp_path / "BIG_0002.JPG")
    patches = _patches(page)

    cut = {"on": True}

    def only_the_first_patch(route: Any) -> None:
        is_patch = route.request.method == "PATCH"
        if cut["on"] and is_patch and route.request.headers.get("upload-offset") != "0":
            route.abort("connectionreset")  # the connection is gone for good
        else:
            route.continue_()

    page.route("**/api/uploads/tus/**", only_the_first_patch)
    open_project(page, web, folder)
    choose(page, big)
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.status == 204):
        page.locator("dialog.upload-dialog").get_by_role("button", name="Upload 1 file").click()

    page.reload()  # the cut stays on until the old page is gone, so it cannot finish
    cut["on"] = False
    expect(page.locator(".photo-count")).to_be_visible()
    patches.clear()
    choose(page, big)
    page.locator("dialog.upload-dialog").get_by_role("button", name="Upload 1 file").click()
    expect(page.locator(".upload-strip-heading")).to_have_text("1 added", timeout=20_000)
    assert int(patches[0]["upload-offset"]) == TUS_CHUNK  # resumed, not restarted
    expect(page.locator(".upload-row").first).to_contain_text("Added")
    assert stored_bytes(web, folder, "BIG_0002.JPG") == big.read_bytes()
    assert len(web.photos(folder)) == 1
    forget_cut_connections(web)


def test_refused_and_unsupported_files_are_explained(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Refusals")
    fake = not_an_image(tmp_path / "FAKE_0001.JPG")
    good = jpeg(tmp_path / "IMG_0003.JPG", 640, 480)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    # The server's own words for the fake, asked of it directly (in another project).
    answer = web.http.post(
        f"/api/projects/{web.project('Probe')}/upload",
        files=[("files", (fake.name, fake.read_bytes(), "application/octet-stream"))],
    )
    assert answer.status_code == 400
    message = answer.json()["files"][0]["error"]["message"]

    open_project(page, web, folder)
    choose(page, fake, good, notes)
    dialog = page.locator("dialog.upload-dialog")
    expect(dialog.locator('[data-class="new"] .upload-class-count')).to_have_text("2")
    rejected = dialog.locator('[data-class="rejected"]')
    expect(rejected.locator(".upload-class-count")).to_have_text("1")
    rejected.locator("summary").click()
    expect(rejected).to_contain_text("notes.txt")
    dialog.get_by_role("button", name="Upload 2 files").click()

    heading = page.locator(".upload-strip-heading")
    assert message.startswith("FAKE_0001.JPG")  # so the summary does not name it twice
    expect(heading).to_have_text(f"1 added, 1 not supported, 1 failed: {message}")
    failed = page.locator('.upload-row[data-state="failed"]')
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(message)
    expect(page.locator(".photo-count")).to_have_text("1 photo")
    assert [p["filenames"][0] for p in web.photos(folder)] == ["IMG_0003.JPG"]


def test_files_dropped_on_the_window_are_analysed(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder = web.project("Dropped")
    open_project(page, web, folder)
    transfer = page.evaluate_handle(
        """() => {
          const transfer = new DataTransfer();
          transfer.items.add(new File(["not really"], "notes.txt", {type: "text/plain"}));
          return transfer;
        }"""
    )
    page.dispatch_event("body", "dragenter", {"dataTransfer": transfer})
    overlay = page.locator(".upload-drop")
    expect(overlay).to_be_visible()
    expect(overlay).to_have_text("Drop photos to add them to Dropped")
    page.dispatch_event("body", "drop", {"dataTransfer": transfer})
    expect(overlay).to_be_hidden()
    dialog = page.locator("dialog.upload-dialog")
    expect(dialog.locator('[data-class="rejected"] .upload-class-count')).to_have_text("1")
    expect(dialog.locator(".dialog-actions .primary")).to_be_disabled()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    page.goto("/")  # leaving the project removes the drop zone
    expect(page.locator(".upload-drop")).to_have_count(0)
