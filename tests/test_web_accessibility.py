"""Accessibility of the login, grid and viewer pages, checked by axe-core in real Chromium: no
serious or critical violation. axe is evaluated through the debugging protocol, so the page's
strict Content-Security-Policy stays on while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browsersupport import WebApp, new_page, serious_violations
from tests.imagefactory import Exif, jpeg


def test_the_login_page(chromium: Any, web: WebApp) -> None:
    page = new_page(chromium, web, logged_in=False)
    page.goto("/login")
    expect(page.get_by_label("Password")).to_be_focused()
    assert serious_violations(page) == []
    # The check can fail: a field without a label, and an image without a text, are found.
    page.evaluate(
        """() => {
            document.body.append(document.createElement("input"));
            const img = document.createElement("img");
            img.src = "data:,";
            document.body.append(img);
        }"""
    )
    found = " ".join(serious_violations(page))
    assert "label" in found and "image-alt" in found
    page.context.close()


@pytest.fixture
def shoot(web: WebApp, tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    folder = web.project("Accessibility shoot")
    paths = [
        jpeg(tmp_path / f"IMG_{n:04d}.jpg", 900, 600, exif=Exif(model=f"Camera {n}"))
        for n in range(1, 7)
    ]
    web.upload(folder, *paths)
    return folder, web.photos(folder)


def test_the_grid_table_and_viewer(page: Any, web: WebApp, shoot: Any) -> None:
    folder, photos = shoot
    page.goto(f"/projects/{folder}")
    expect(page.locator("[data-photo-id]").first).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/projects/{folder}?view=table")
    expect(page.locator("[data-photo-id]").first).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/projects/{folder}?photo={photos[0]['id']}")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("i")
    assert serious_violations(page) == []


def test_the_projects_page_at_a_phone_width(chromium: Any, web: WebApp, shoot: Any) -> None:
    page = new_page(chromium, web, viewport={"width": 390, "height": 844})
    page.goto("/")
    expect(page.locator(".project-card")).to_have_count(1)
    assert serious_violations(page) == []
    # No page wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()
