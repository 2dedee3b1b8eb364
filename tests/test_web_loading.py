"""How the UI loads: the first page of photos is asked for once, while the modules load (the
server names it in the page), and only for the listing the page shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browsersupport import WebApp
from tests.imagefactory import jpeg


def listing_requests(page: Any, run: Callable[[], object]) -> list[str]:
    """The photo listings the page asks the server for while `run` runs."""
    seen: list[str] = []

    def on_request(request: Any) -> None:
        if "/api/" in request.url and "/photos?" in request.url:
            seen.append(request.url)

    page.on("request", on_request)
    run()
    page.remove_listener("request", on_request)
    return seen


def test_the_first_page_is_asked_for_once_while_the_modules_load(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Arrivals (day 1)")
    shots = [jpeg(tmp_path / f"a{n}.jpg", 600, 400, quality=80 + n) for n in range(3)]
    web.upload(folder, *shots)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)

    def open_sorted() -> None:
        # Not in the order the UI would write them: the page uses the address the server named.
        page.goto(f"/projects/{folder}?dir=asc&size=l&sort=filename")
        expect(page.locator(".photo-count")).to_have_text("3 photos")
        expect(page.locator("[data-photo-id]")).to_have_count(3)

    asked = listing_requests(page, open_sorted)
    assert len(asked) == 1, asked
    assert "sort=filename" in asked[0] and "dir=asc" in asked[0] and "size=" not in asked[0]
    # Taken by the list, so a later listing never mistakes it for its own.
    assert page.evaluate("document.querySelector('link[data-first-page]')") is None
    assert not [w for w in warnings if "preload" in w], warnings

    def sort_again() -> None:
        page.get_by_label("Sort").select_option("filename:desc")
        expect(page.locator(".photo-count")).to_have_text("3 photos")

    again = listing_requests(page, sort_again)
    assert len(again) == 1 and "dir=asc" not in again[0]


def test_a_link_to_a_photo_asks_for_the_page_that_holds_it(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Linked")
    web.upload(folder, jpeg(tmp_path / "one.jpg", 600, 400))
    photo = web.photos(folder)[0]["id"]
    assert "data-first-page" in web.http.get(f"/projects/{folder}").text
    assert "data-first-page" not in web.http.get(f"/projects/{folder}?photo={photo}").text

    def open_linked() -> None:
        page.goto(f"/projects/{folder}?photo={photo}")
        expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()

    assert listing_requests(page, open_linked) == []  # locate-page holds it
