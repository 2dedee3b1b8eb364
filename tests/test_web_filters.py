"""Sort and filters live in the address: set in the page, they survive a reload and a link pasted
into another browser, and the photos shown are the server's answer for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browsersupport import WebApp, new_page
from tests.imagefactory import jpeg


def test_filters_and_sort_survive_a_reload_and_a_pasted_link(
    chromium: Any, page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Portraits and views")
    # Different qualities: identical bytes would be one photo and its duplicates.
    wide = [jpeg(tmp_path / f"wide_{n}.jpg", 900, 600, quality=80 + n) for n in range(3)]
    tall = [jpeg(tmp_path / f"tall_{n}.jpg", 600, 900, quality=80 + n) for n in range(2)]
    web.upload(folder, *wide, *tall)
    tall_ids = sorted(p["id"] for p in web.photos(folder, orientation="portrait"))
    assert len(tall_ids) == 2
    page.goto(f"/projects/{folder}")
    expect(page.locator(".photo-count")).to_have_text("5 photos")
    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Orientation").select_option("portrait")
    page.get_by_label("Sort").select_option("filename:asc")
    expect(page.locator(".photo-count")).to_have_text("2 photos of 5")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"orientation": ["portrait"], "sort": ["filename"], "dir": ["asc"]}
    page.reload()
    expect(page.locator(".photo-count")).to_have_text("2 photos of 5")
    expect(page.get_by_label("Sort")).to_have_value("filename:asc")
    expect(page.get_by_role("button", name="Filters (1)")).to_be_visible()
    # The same link in a browser that never saw the page.
    other = new_page(chromium, web)
    other.goto(page.url)
    expect(other.locator(".photo-count")).to_have_text("2 photos of 5")
    other.get_by_role("button", name="Filters (1)").click()
    expect(other.get_by_label("Orientation")).to_have_value("portrait")
    # Back undoes a filter: the address is the history.
    other.go_back()
    other.context.close()
    page.get_by_role("button", name="Filters (1)").click()
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(".photo-count")).to_have_text("5 photos")
    assert "orientation" not in page.url
    page.go_back()
    expect(page.locator(".photo-count")).to_have_text("2 photos of 5")


def test_a_date_range_is_the_whole_days_chosen(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder = web.project("Two days")
    web.upload(folder, jpeg(tmp_path / "a.jpg", 800, 600))
    taken = web.photos(folder)[0]["taken_at"][:10]
    page.goto(f"/projects/{folder}")
    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Taken from").fill(taken)
    page.get_by_label("Taken from").dispatch_event("change")
    expect(page.locator(".photo-count")).to_have_text("1 photo")
    page.get_by_label("Taken until").fill("2001-01-01")
    page.get_by_label("Taken until").dispatch_event("change")
    expect(page.locator(".photo-count")).to_have_text("0 photos of 1")
    expect(page.locator(".photos-empty")).to_contain_text("No photos match")
