"""The full-window viewer in a real browser: opened from the address (and from a pasted link),
next and previous with their previews loaded ahead, the information panel, the culling keys on
the open photo (checked on the server), auto-advance, 100 % zoom and pan, the key help, Esc, and
swiping at a phone's width."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browsersupport import WebApp, new_page
from tests.imagefactory import Exif, jpeg

CORPUS = Path("/work/shared/corpus")
# A real camera's JPEG (800 x 600, Canon PowerShot S330) listed in the corpus MANIFEST.tsv.
CAMERA_JPEG = CORPUS / "jpeg/drewnoakes+metadata-extractor-images/jpg/Canon PowerShot S330.jpg"
WIDTH, HEIGHT = 2400, 1600


@pytest.fixture
def shoot(web: WebApp, tmp_path: Path) -> dict[str, Any]:
    """A project of six generated photos with EXIF and one real camera JPEG, in listing order."""
    if not CAMERA_JPEG.exists():
        pytest.fail(f"the test corpus is missing {CAMERA_JPEG}")
    folder = web.project("Viewer shoot")
    paths = [
        jpeg(
            tmp_path / f"frame_{n}.jpg",
            WIDTH,
            HEIGHT,
            exif=Exif(date_time_original=f"2024:05:01 14:0{n}:00"),
        )
        for n in range(6)
    ]
    camera = tmp_path / "canon_s330.jpg"
    shutil.copyfile(CAMERA_JPEG, camera)
    web.upload(folder, *paths, camera)
    photos = web.photos(folder)
    assert len(photos) == 7
    return {"folder": folder, "photos": photos, "ids": [p["id"] for p in photos]}


def _photo(web: WebApp, folder: str, photo_id: int) -> dict[str, Any]:
    return next(p for p in web.photos(folder) if p["id"] == photo_id)


def _url(folder: str, photo_id: int) -> str:
    return f"/projects/{quote(folder)}?photo={photo_id}"


def _photo_param(page: Any) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("photo", [])


def _no_photo_param(page: Any) -> None:
    """Wait until the address names no open photo (closing may go back in history, which the
    browser does asynchronously)."""
    page.wait_for_function("() => !new URLSearchParams(location.search).has('photo')")


def _shown(page: Any) -> Any:
    """The fitted image the viewer displays (only one is in the page at a time)."""
    return page.locator(".viewer-slot img")


def _open(page: Any, folder: str, photo_id: int) -> Any:
    page.goto(_url(folder, photo_id))
    viewer = page.get_by_role("dialog", name="Photo viewer")
    expect(viewer).to_be_visible()
    expect(_shown(page)).to_have_attribute("data-photo-id", str(photo_id))
    expect(_shown(page)).to_have_attribute("data-state", "preview")
    return viewer


def test_open_from_the_address_and_go_next_with_the_preview_loaded_ahead(
    page: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    folder, photos, ids = shoot["folder"], shoot["photos"], shoot["ids"]
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    next_preview = f"/preview/{quote(photos[1]['basename'])}"
    with page.expect_response(lambda response: next_preview in response.url):
        viewer = _open(page, folder, ids[0])
    expect(viewer.locator(".viewer-position")).to_have_text("1 / 7")
    expect(viewer.locator(".viewer-name")).to_have_text(photos[0]["basename"])
    expect(viewer.get_by_role("button", name="Previous photo (←)")).to_be_disabled()
    # The neighbour's preview was asked for before the user pressed anything.
    assert any(next_preview in url for url in requests)

    page.keyboard.press("ArrowRight")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[1]))
    expect(_shown(page)).to_have_attribute("data-state", "preview")
    expect(viewer.locator(".viewer-position")).to_have_text("2 / 7")
    assert _photo_param(page) == [str(ids[1])]

    # Going next to a photo whose preview is decoded ahead swaps it in while the key is handled:
    # no frame shows its thumbnail or a spinner, whatever the machine's speed.
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(
        """() => {
            window.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
            const img = document.querySelector(".viewer-slot img");
            return img ? [img.dataset.photoId, img.dataset.state] : null;
        }"""
    )
    assert shown == [str(ids[2]), "preview"]

    # The on-screen buttons go both ways; the grid is not left in a state it cannot return to.
    viewer.get_by_role("button", name="Previous photo (←)").click()
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[1]))
    page.keyboard.press("End")
    expect(viewer.locator(".viewer-position")).to_have_text("7 / 7")
    page.keyboard.press("ArrowRight")  # the last photo: nothing further
    expect(viewer.locator(".viewer-position")).to_have_text("7 / 7")
    expect(viewer.get_by_role("button", name="Next photo (→)")).to_be_disabled()


def test_a_pasted_link_opens_the_viewer_on_that_photo(
    chromium: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    other = new_page(chromium, web)
    try:
        viewer = _open(other, folder, ids[4])
        expect(viewer.locator(".viewer-position")).to_have_text("5 / 7")
        other.keyboard.press("ArrowLeft")
        expect(_shown(other)).to_have_attribute("data-photo-id", str(ids[3]))
        assert _photo_param(other) == [str(ids[3])]
        # A reload keeps the open photo: the address is the state.
        other.reload()
        expect(_shown(other)).to_have_attribute("data-photo-id", str(ids[3]))
    finally:
        other.context.close()
    assert not web.console_errors


def test_information_panel_shows_the_camera(page: Any, web: WebApp, shoot: dict[str, Any]) -> None:
    folder, photos, ids = shoot["folder"], shoot["photos"], shoot["ids"]
    real = next(p for p in photos if p["metadata"]["model"] == "Canon PowerShot S330")
    viewer = _open(page, folder, real["id"])
    panel = viewer.get_by_role("complementary", name="Photo information")
    expect(panel).to_be_hidden()
    page.keyboard.press("i")
    expect(panel).to_be_visible()
    expect(panel.locator("dl")).to_contain_text("Canon PowerShot S330")
    expect(panel.locator("dl")).to_contain_text("canon_s330.jpg")
    expect(panel.locator("dl")).to_contain_text("800 × 600")  # noqa: RUF001

    # A generated photo: every fact the camera wrote, the panel staying open as the user moves.
    generated = next(p for p in photos if p["metadata"]["model"] == "Sheet One")
    index = ids.index(generated["id"])
    page.keyboard.press("Home")
    for _ in range(index):
        page.keyboard.press("ArrowRight")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(generated["id"]))
    for text in [
        "Contax Sheet One",
        "Sheet 35mm F1.4",
        "1/250 s",
        "ƒ/2.8",
        "400",
        "35 mm",
        "S, ",
        " W",
    ]:
        expect(panel.locator("dl")).to_contain_text(text)
    page.keyboard.press("i")
    expect(panel).to_be_hidden()


def test_culling_keys_act_on_the_open_photo(page: Any, web: WebApp, shoot: dict[str, Any]) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    photo = ids[2]
    viewer = _open(page, folder, photo)
    head = viewer.locator(".viewer-head")

    def press(key: str, endpoint: str) -> None:
        with page.expect_response(lambda r: f"/api/photos/{endpoint}" in r.url and r.ok):
            page.keyboard.press(key)

    press("3", "rating")
    expect(head.get_by_role("group", name="Rating: 3 of 5 stars")).to_be_visible()
    assert _photo(web, folder, photo)["rating"] == 3
    press("p", "pick")
    expect(head.get_by_role("button", name="Picked")).to_have_attribute("aria-pressed", "true")
    assert _photo(web, folder, photo)["pick"] == "picked"
    press("x", "pick")
    expect(head.get_by_role("button", name="Rejected")).to_have_attribute("aria-pressed", "true")
    expect(head.get_by_role("button", name="Picked")).to_have_attribute("aria-pressed", "false")
    assert _photo(web, folder, photo)["pick"] == "rejected"
    press("Delete", "keep")
    expect(head.locator(".viewer-keep")).to_have_text("Discard")
    assert _photo(web, folder, photo)["keep_jpg"] is False
    press("j", "keep")
    expect(head.locator(".viewer-keep")).to_have_text("Keep JPG")
    assert _photo(web, folder, photo)["keep_jpg"] is True
    press("u", "pick")
    assert _photo(web, folder, photo)["pick"] == "unflagged"
    # None of it moved on: auto-advance is off.
    expect(_shown(page)).to_have_attribute("data-photo-id", str(photo))

    # Auto-advance: a pick moves to the next photo; the choice is remembered.
    auto = head.get_by_role("button", name="Auto-advance")
    auto.click()
    expect(auto).to_have_attribute("aria-pressed", "true")
    press("p", "pick")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[3]))
    assert _photo(web, folder, photo)["pick"] == "picked"
    assert _photo(web, folder, ids[3])["pick"] == "unflagged"
    # A rating is not a decision that moves on.
    press("1", "rating")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[3]))
    page.reload()
    expect(page.get_by_role("button", name="Auto-advance")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_zoom_to_100_percent_pan_and_fit(page: Any, web: WebApp, shoot: dict[str, Any]) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    generated = next(p for p in shoot["photos"] if p["width"] == WIDTH)
    viewer = _open(page, folder, generated["id"])
    # Measured once the preview has taken the thumbnail's place (the swap replaces the element).
    expect(_shown(page)).to_have_attribute("data-state", "preview")
    fitted = _shown(page).bounding_box()
    assert fitted is not None
    assert fitted["width"] < WIDTH
    page.keyboard.press("z")
    full = viewer.locator("img.viewer-full")
    expect(full).to_be_visible()
    # Shown once decoded; asked after the decode, so a loaded machine sees the same.
    size = full.evaluate(
        "img => img.decode().then("
        "() => [img.getBoundingClientRect().width, img.naturalWidth, img.currentSrc])"
    )
    assert size[0] == size[1] == WIDTH
    assert "/image/" in size[2]  # the original, not the preview
    page.keyboard.press("z")
    expect(full).to_have_count(0)
    expect(_shown(page)).to_be_visible()

    # Click zooms at the point clicked; dragging pans; a click (no drag) fits again.
    box = viewer.locator(".viewer-stage").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(cx, cy)
    expect(full).to_be_visible()
    before = full.evaluate("img => img.getBoundingClientRect().left")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 40, steps=5)
    page.mouse.up()
    after = full.evaluate("img => img.getBoundingClientRect().left")
    assert after == pytest.approx(before + 120, abs=2)
    expect(full).to_be_visible()  # a drag is not a click
    page.mouse.click(cx, cy)
    expect(full).to_have_count(0)
    assert ids


def test_help_then_escape_closes_help_then_the_viewer(
    page: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    viewer = _open(page, folder, ids[1])
    page.keyboard.press("?")
    help_ = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_).to_be_visible()
    for text in [
        "Keep the JPG only",
        "Keep RAW + JPG",
        "Discard both",
        "Rate 3 stars",
        "Pick",
        "Reject",
        "Unflag",
        "Next photo",
        "Toggle fit and 100 %",
        "Select all matching photos",
    ]:
        expect(help_).to_contain_text(text)
    expect(help_.locator("kbd", has_text="Delete")).to_be_visible()
    # Keys other than Esc and ? do nothing while the help is up.
    page.keyboard.press("ArrowRight")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[1]))
    page.keyboard.press("Escape")
    expect(help_).to_be_hidden()
    expect(viewer).to_be_visible()
    assert _photo_param(page) == [str(ids[1])]
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}")

    # The close button does the same, and the focus comes back out of the viewer.
    viewer = _open(page, folder, ids[2])
    expect(viewer).to_be_focused()
    viewer.get_by_role("button", name="Close the viewer (Esc)").click()
    expect(viewer).to_have_count(0)
    _no_photo_param(page)
    assert page.evaluate("!document.activeElement.closest('.viewer')")


def test_phone_width_swipe_and_wrapping_header(
    chromium: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    phone = new_page(chromium, web, viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        viewer = _open(phone, folder, ids[0])
        head = viewer.locator(".viewer-head")
        overflow = head.evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0
        for name in ["Close the viewer (Esc)", "Auto-advance", "Information (i)", "Next photo (→)"]:
            expect(viewer.get_by_role("button", name=name)).to_be_visible()
        cdp = phone.context.new_cdp_session(phone)

        def swipe(x0: float, x1: float, y: float = 420) -> None:
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]},
            )
            for n in range(1, 6):
                x = x0 + (x1 - x0) * n / 5
                cdp.send(
                    "Input.dispatchTouchEvent",
                    {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]},
                )
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

        swipe(320, 80)
        expect(_shown(phone)).to_have_attribute("data-photo-id", str(ids[1]))
        assert _photo_param(phone) == [str(ids[1])]
        swipe(80, 320)
        expect(_shown(phone)).to_have_attribute("data-photo-id", str(ids[0]))
    finally:
        phone.context.close()
    assert not web.console_errors


def test_open_from_the_grid_and_come_back_to_it(
    page: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    folder, ids = shoot["folder"], shoot["ids"]
    page.goto(f"/projects/{quote(folder)}")
    cell = page.locator('.collection [data-index="3"]')
    cell.click()
    expect(cell).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    viewer = page.get_by_role("dialog", name="Photo viewer")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[3]))
    assert _photo_param(page) == [str(ids[3])]
    page.keyboard.press("ArrowRight")
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[4]))
    # The grid's keys do not act under the viewer (Ctrl+A would select everything).
    page.keyboard.press("Control+a")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    _no_photo_param(page)
    # The selection underneath is as it was; the focus is back in the grid.
    expect(page.locator('.collection [aria-selected="true"]')).to_have_count(1)
    expect(cell).to_have_attribute("aria-selected", "true")
    assert page.evaluate("!!document.activeElement.closest('.collection')")

    page.locator('.collection [data-index="0"]').dblclick()
    expect(_shown(page)).to_have_attribute("data-photo-id", str(ids[0]))
