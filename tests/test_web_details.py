"""Details a photographer meets in the first hour: stars in the table, tags in the viewer, a
PNG that is not "Discard", a refused edit that does not undo a later one, and a tap that opens a
photo on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browsersupport import WebApp, new_page
from tests.imagefactory import jpeg, png

CELLS = ".photo-grid [data-photo-id]"


def shoot(web: WebApp, tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    folder = web.project("Details")
    files = [jpeg(tmp_path / f"IMG_{n}.jpg", 900, 600, quality=80 + n) for n in range(3)]
    web.upload(folder, *files, png(tmp_path / "scan.png", 600, 400))
    return folder, web.photos(folder, sort="filename", dir="asc")


def test_the_table_shows_stars_and_the_viewer_shows_tags(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder, photos = shoot(web, tmp_path)
    first = photos[0]["id"]
    web.http.post("/api/photos/rating", json={"items": [{"photo_id": first}], "rating": 4})
    web.http.post(
        "/api/photos/tags/add", json={"items": [{"photo_id": first}], "tags": ["ceremony", "rings"]}
    ).raise_for_status()
    page.goto(f"/projects/{folder}?view=table&sort=filename&dir=asc")
    row = page.locator(f'[data-photo-id="{first}"]')
    expect(row).to_contain_text("★★★★")
    expect(row).not_to_contain_text("object")
    page.goto(f"/projects/{folder}?sort=filename&dir=asc&photo={first}")
    expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()
    page.keyboard.press("i")
    expect(page.locator(".viewer")).to_contain_text("ceremony, rings")


def test_a_png_is_kept_as_it_is_and_never_shown_as_discarded(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder, photos = shoot(web, tmp_path)
    scan = next(p for p in photos if p["basename"] == "scan")
    page.goto(f"/projects/{folder}?sort=filename&dir=asc")
    cell = page.locator(f'{CELLS}[data-photo-id="{scan["id"]}"]')
    expect(cell).to_be_visible()
    expect(cell).not_to_contain_text("Discard")
    assert web.http.get("/api/photos/pending-deletes").json()["total"]["photos"] == 0


def test_a_refused_edit_does_not_undo_a_later_one(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder, photos = shoot(web, tmp_path)
    first = photos[0]["id"]
    page.goto(f"/projects/{folder}?sort=filename&dir=asc&photo={first}")
    expect(page.get_by_role("dialog", name="Photo viewer")).to_be_visible()
    # The viewer's previews first: an edit's request must not queue behind them for a connection.
    page.wait_for_load_state("networkidle")
    held: list[Any] = []
    # The rating's answer is held back, then refused; the pick in between succeeds.
    page.route("**/api/photos/rating", lambda route: held.append(route))
    page.keyboard.press("3")
    page.wait_for_function("() => true")
    expect(page.get_by_role("button", name="Rate 3 stars")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("p")
    expect(page.get_by_role("button", name="Picked")).to_have_attribute("aria-pressed", "true")
    # Until the rating's request is held (on a loaded machine it may leave after the pick's).
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].fulfill(
        status=400,
        content_type="application/json",
        body='{"error": {"code": "invalid_input", "message": "refused"}}',
    )
    expect(page.get_by_role("button", name="Rate 3 stars")).to_have_attribute(
        "aria-pressed", "false"
    )
    # The pick stayed, on the page and on the server.
    expect(page.get_by_role("button", name="Picked")).to_have_attribute("aria-pressed", "true")
    assert next(p for p in web.photos(folder) if p["id"] == first)["pick"] == "picked"
    web.console_errors.clear()  # the refusal was made on purpose


def test_a_tap_opens_the_photo_on_a_phone(chromium: Any, web: WebApp, tmp_path: Path) -> None:
    folder, photos = shoot(web, tmp_path)
    phone = new_page(
        chromium, web, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    phone.goto(f"/projects/{folder}?sort=filename&dir=asc")
    phone.locator(f'{CELLS}[data-photo-id="{photos[1]["id"]}"]').tap()
    expect(phone.get_by_role("dialog", name="Photo viewer")).to_be_visible()
    assert f"photo={photos[1]['id']}" in phone.evaluate("location.href")
    phone.context.close()


def test_question_mark_lists_the_keys_in_the_grid(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder, _ = shoot(web, tmp_path)
    page.goto(f"/projects/{folder}")
    page.locator(CELLS).first.click()
    page.keyboard.press("?")
    help_panel = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_panel).to_be_visible()
    expect(help_panel).to_contain_text("Culling (every selected photo)")
    expect(help_panel).to_contain_text("Keep the JPG only")
    page.keyboard.press("Escape")
    expect(help_panel).to_be_hidden()
    expect(page.locator(".photo-grid")).to_be_focused()
    # The selection survived: Esc closed the help first.
    expect(page.locator("[aria-selected=true]")).to_have_count(1)


def test_a_listing_answer_that_left_before_an_edit_does_not_show_the_old_value(
    page: Any, web: WebApp
) -> None:
    # A refresh of the grid (new photos arrived) races a rating: its answer, read from the server
    # before the rating was stored, comes back after it. The list model, in the browser, with the
    # answers' order made by hand.
    page.goto("/login")
    shown = page.evaluate(
        """async () => {
            const { PhotoList } = await import("/static/model/photolist.js");
            const list = new PhotoList({ pageSize: 2 });
            const page = (rating) => ({
                items: [{ id: 7, rating }, { id: 8, rating: 0 }],
                total: 2, unfiltered_total: 2, next_cursor: null, prev_cursor: null,
            });
            list.accept(0, page(0), 0, ++list.clock);
            const seen = [];
            const before = ++list.clock;           // a refresh leaves now: it cannot see the edit
            const settle = list.beginEdit(7, { rating: 3 });
            list.patch(7, { rating: 3 });
            settle(true);                          // the server stored the rating
            list.accept(0, page(0), 0, before);    // the refresh's late answer
            seen.push(list.byId(7).rating);
            list.accept(0, page(3), 0, ++list.clock);  // a page asked for after: the server's own
            seen.push(list.byId(7).rating, list.edits.size);
            const refused = list.beginEdit(8, { rating: 5 });
            list.patch(8, { rating: 5 });
            refused(false);                        // the server refused it: its truth shows again
            list.accept(0, page(3), 0, ++list.clock);
            seen.push(list.byId(8).rating);
            return seen;
        }"""
    )
    assert shown == [3, 3, 0, 0]
