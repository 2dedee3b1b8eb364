"""The shared gallery (/shared/<key>) in a real browser, as a visitor without a session sees it at
a phone's width: the link's title and only its public photos, page after page; the viewer (→, a
swipe, Esc, Back, a pasted address and a reload); one photo's download and the zip of them all;
and not one console error or Content-Security-Policy violation on the way. A key that opens
nothing (unknown, or replaced by a regenerated one) says the gallery is not available, with a
404."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browsersupport import (
    ARTIFACTS,
    EXPECTED_ERRORS,
    WebApp,
    new_page,
    serious_violations,
    wait_until,
)
from tests.imagefactory import Exif, jpeg

PHONE = {"width": 375, "height": 740}
TITLE = "Harbour at dawn"
DESCRIPTION = "Your photos from Saturday.\nThe boats come last."
PUBLIC = [f"harbour_{n}" for n in range(1, 8)]
PRIVATE = "secret_portrait"
# The page asks for 100 photos at a time; its requests are narrowed to this in the test, so
# seven photos come in three pages, each asked for with the cursor of the one before.
PAGE_SIZE = 3

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective}: ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def visitor(request: pytest.FixtureRequest, chromium: Any, web: WebApp) -> Iterator[Any]:
    """A phone's browser that never logged in, recording every policy violation it sees in
    `page.violations` (across navigations)."""
    page = new_page(
        chromium, web, logged_in=False, viewport=PHONE, has_touch=True, accept_downloads=True
    )
    violations: list[str] = []
    page.violations = violations
    page.context.expose_function("reportViolation", lambda text: violations.append(text))
    page.add_init_script(RECORD_VIOLATIONS)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.context.close()
    if report is not None and report.passed:
        unexpected = [e for e in web.console_errors if not EXPECTED_ERRORS.search(e)]
        assert not unexpected, "console errors:\n" + "\n".join(unexpected)
        assert not page.violations, "policy violations:\n" + "\n".join(page.violations)


@pytest.fixture
def shoot(web: WebApp, tmp_path: Path) -> dict[str, Any]:
    """Seven public photos and one private one taken among them, all in one link that allows
    downloads; the public ones in the gallery's order (taken_at)."""
    folder = web.project("Harbour shoot")
    paths = {
        name: jpeg(
            tmp_path / f"{name}.jpg",
            1200,
            800,
            exif=Exif(date_time_original=f"2024:06:01 06:{10 + 2 * n:02d}:00"),
        )
        for n, name in enumerate(PUBLIC)
    }
    paths[PRIVATE] = jpeg(
        tmp_path / f"{PRIVATE}.jpg", 800, 1200, exif=Exif(date_time_original="2024:06:01 06:15:00")
    )
    web.upload(folder, *paths.values())

    def made() -> dict[str, dict[str, Any]] | None:
        found = {p["basename"]: p for p in web.photos(folder)}
        ready = len(found) == len(paths) and all(
            p["thumbnail_status"] == "generated"
            and p["preview_status"] == "generated"
            and p["thumbhash"]
            for p in found.values()
        )
        return found if ready else None

    photos = wait_until(made, "every thumbnail, preview and ThumbHash made")
    public_ids = [photos[name]["id"] for name in PUBLIC]
    answer = web.http.post(
        "/api/photos/visibility",
        json={"items": [{"photo_id": i} for i in public_ids], "visibility": "public"},
    )
    assert answer.status_code == 200, answer.text
    answer = web.http.post(
        "/api/shared-links",
        json={
            "title": TITLE,
            "description": DESCRIPTION,
            "photo_ids": [p["id"] for p in photos.values()],
            "allow_downloads": True,
        },
    )
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert (link["photo_count"], link["public_count"]) == (8, 7)
    return {"link": link, "ids": public_ids, "paths": paths}


def _photo_param(page: Any) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("photo", [])


def _no_photo_param(page: Any) -> None:
    # Closing may go back in history, which the browser does asynchronously.
    page.wait_for_function("() => !new URLSearchParams(location.search).has('photo')")


def _is_preview_of(photo_id: int) -> Any:
    return lambda request: re.search(rf"/shared/assets/\d+/{photo_id}/[^/]+/preview$", request.url)


def test_a_visitor_sees_only_the_public_photos_pages_views_and_downloads(
    visitor: Any, web: WebApp, shoot: dict[str, Any]
) -> None:
    link, ids, paths = shoot["link"], shoot["ids"], shoot["paths"]
    assert visitor.context.cookies() == []
    pages: list[str] = []

    def smaller_pages(route: Any) -> None:
        url = route.request.url.replace("limit=100", f"limit={PAGE_SIZE}")
        pages.append(url)
        route.continue_(url=url)

    visitor.route(re.compile(r"/shared/api/[^/?]+\?"), smaller_pages)

    response = visitor.goto(link["url"])
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(visitor.locator(".gallery-description")).to_have_text(DESCRIPTION)
    expect(visitor.locator(".gallery-facts")).to_contain_text("7 photos")
    expect(visitor).to_have_title(TITLE)

    # Every public photo once, in order, over three pages; the private one nowhere.
    cells = visitor.locator(".gallery-cell")
    visitor.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(cells).to_have_count(len(PUBLIC))
    shown = cells.evaluate_all("cells => cells.map((cell) => Number(cell.dataset.photoId))")
    assert shown == ids
    assert len(pages) == 3, pages
    assert "cursor=" not in pages[0] and all("cursor=" in url for url in pages[1:])
    assert len(set(pages)) == 3
    assert PRIVATE not in visitor.content()
    anonymous = httpx.get(f"{web.url}/shared/api/{link['key']}", params={"limit": 200})
    assert anonymous.status_code == 200 and PRIVATE not in anonymous.text

    # Placeholders under lazily loaded thumbnails, the names as alt text, square cells in three
    # columns, nothing wider than the phone.
    images = visitor.locator(".gallery-cell img")
    assert images.evaluate_all("imgs => imgs.map((img) => img.alt)") == PUBLIC
    assert images.first.get_attribute("loading") == "lazy"
    placeholders = cells.evaluate_all("cells => cells.map((cell) => cell.style.backgroundImage)")
    assert all(p.startswith('url("data:image/png') for p in placeholders), placeholders
    expect(visitor.locator(".gallery-cell.is-loaded")).to_have_count(len(PUBLIC))
    box = cells.first.bounding_box()
    assert box is not None and box["width"] == pytest.approx(box["height"], abs=1)
    assert PHONE["width"] / 4 < box["width"] < PHONE["width"] / 3
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_violations(visitor) == []

    # The viewer: opened from the grid, the next preview asked for before anything is pressed.
    with visitor.expect_request(_is_preview_of(ids[1])):
        cells.nth(0).click()
    viewer = visitor.get_by_role("dialog", name="Photo viewer")
    picture = viewer.locator(".gallery-viewer-slot img")
    position = viewer.locator(".gallery-viewer-position")
    expect(viewer).to_be_visible()
    expect(picture).to_have_attribute("data-photo-id", str(ids[0]))
    expect(picture).to_have_attribute("data-state", "preview")
    expect(viewer.locator(".gallery-viewer-name")).to_have_text(PUBLIC[0])
    expect(position).to_have_text("1 / 7")
    expect(viewer.get_by_role("button", name="Previous photo (←)")).to_be_disabled()
    assert _photo_param(visitor) == [str(ids[0])]

    visitor.keyboard.press("ArrowRight")
    expect(picture).to_have_attribute("data-photo-id", str(ids[1]))
    expect(picture).to_have_attribute("data-state", "preview")
    expect(position).to_have_text("2 / 7")
    assert _photo_param(visitor) == [str(ids[1])]

    # Once the next preview has arrived (and had a moment to decode), the key swaps it in while
    # it is handled: no frame shows the thumbnail.
    visitor.wait_for_function(
        """(id) => performance.getEntriesByType("resource").some((entry) =>
            new RegExp(`/shared/assets/[0-9]+/${id}/[^/]+/preview$`).test(entry.name)
            && entry.responseEnd > 0)""",
        arg=ids[2],
    )
    visitor.wait_for_timeout(300)
    state = visitor.evaluate(
        """() => {
            const dialog = document.querySelector("dialog.gallery-viewer");
            dialog.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
            const img = dialog.querySelector(".gallery-viewer-slot img");
            return [img.dataset.photoId, img.dataset.state];
        }"""
    )
    assert state == [str(ids[2]), "preview"]

    # A swipe left goes next, a swipe right back.
    cdp = visitor.context.new_cdp_session(visitor)

    def swipe(x0: float, x1: float, y: float = 400) -> None:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]}
        )
        for n in range(1, 6):
            x = x0 + (x1 - x0) * n / 5
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    swipe(300, 70)
    expect(picture).to_have_attribute("data-photo-id", str(ids[3]))
    assert _photo_param(visitor) == [str(ids[3])]
    swipe(70, 300)
    expect(picture).to_have_attribute("data-photo-id", str(ids[2]))
    overflow = viewer.locator(".gallery-viewer-head").evaluate(
        "el => el.scrollWidth - el.clientWidth"
    )
    assert overflow <= 0
    assert serious_violations(visitor, ".gallery-viewer") == []

    # This photo's original, as it was uploaded.
    with visitor.expect_download() as caught:
        viewer.get_by_role("link", name=f"Download {PUBLIC[2]}").click()
    download = caught.value
    assert download.suggested_filename == f"{PUBLIC[2]}.jpg"
    assert Path(download.path()).read_bytes() == paths[PUBLIC[2]].read_bytes()

    # Esc closes, back to that photo's cell; Back closes a viewer opened from the grid.
    visitor.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    _no_photo_param(visitor)
    assert visitor.evaluate("document.activeElement.dataset.photoId") == str(ids[2])
    cells.nth(4).press("Enter")
    expect(picture).to_have_attribute("data-photo-id", str(ids[4]))
    assert _photo_param(visitor) == [str(ids[4])]
    visitor.go_back()
    expect(viewer).to_be_hidden()
    _no_photo_param(visitor)
    assert urlsplit(visitor.url).path == link["url"]

    # A pasted address opens its photo (on the second page), and so does a reload.
    visitor.goto(f"{link['url']}?photo={ids[5]}")
    expect(picture).to_have_attribute("data-photo-id", str(ids[5]))
    expect(position).to_have_text("6 / 7")
    visitor.reload()
    expect(picture).to_have_attribute("data-photo-id", str(ids[5]))
    visitor.keyboard.press("End")
    expect(picture).to_have_attribute("data-photo-id", str(ids[6]))
    expect(viewer.get_by_role("button", name="Next photo (→)")).to_be_disabled()
    visitor.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # The zip holds the public photos' files and nothing else.
    with visitor.expect_download() as caught:
        visitor.get_by_role("link", name="Download all (zip)").click()
    with zipfile.ZipFile(caught.value.path()) as archive:
        names = {Path(name).name: name for name in archive.namelist()}
        assert sorted(names) == sorted(f"{name}.jpg" for name in PUBLIC)
        first = archive.read(names[f"{PUBLIC[0]}.jpg"])
    assert first == paths[PUBLIC[0]].read_bytes()

    # Downloads withdrawn: neither link is offered any more.
    answer = web.http.patch(f"/api/shared-links/{link['id']}", json={"allow_downloads": False})
    assert answer.status_code == 200, answer.text
    visitor.reload()
    expect(cells).to_have_count(len(PUBLIC))
    expect(visitor.get_by_role("link", name="Download all (zip)")).to_have_count(0)
    cells.nth(1).click()
    expect(picture).to_have_attribute("data-photo-id", str(ids[1]))
    expect(viewer.get_by_role("link", name=re.compile("^Download"))).to_have_count(0)

    assert web.console_errors == []
    assert visitor.violations == []


def test_an_unknown_or_regenerated_key_says_the_gallery_is_not_available(
    visitor: Any, web: WebApp
) -> None:
    response = visitor.goto("/shared/no-such-gallery-key")
    assert response is not None and response.status == 404
    expect(visitor.get_by_role("heading", name="This gallery is not available")).to_be_visible()
    expect(visitor.locator(".gallery-cell")).to_have_count(0)
    refused = httpx.get(f"{web.url}/shared/api/no-such-gallery-key")
    assert refused.status_code == 404 and "no such shared link" in refused.text

    answer = web.http.post("/api/shared-links", json={"title": "Withdrawn soon"})
    assert answer.status_code == 201, answer.text
    link = answer.json()
    response = visitor.goto(link["url"])
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Withdrawn soon")
    expect(visitor.get_by_text("There are no photos in this gallery yet.")).to_be_visible()

    fresh = web.http.post(f"/api/shared-links/{link['id']}/regenerate").json()
    assert fresh["url"] != link["url"]
    response = visitor.goto(link["url"])
    assert response is not None and response.status == 404
    expect(visitor.get_by_role("heading", name="This gallery is not available")).to_be_visible()
    response = visitor.goto(fresh["url"])
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Withdrawn soon")
    # Only the refused requests of the unavailable pages were reported.
    assert all(EXPECTED_ERRORS.search(error) for error in web.console_errors), web.console_errors
    assert visitor.violations == []
