"""The photo grid and table in a real browser: thumbnails arriving live, sizes, sorting from the
table's headers, a thumbnail deleted on disk, an `item` event swapping one cell in place, the DOM
kept small at thousands of photos, a phone's width, selection and a culling key."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from contactsheet.db.tables import Photo
from contactsheet.library.names import name_key
from tests.browsersupport import WebApp, new_page
from tests.imagefactory import Exif, jpeg, jpeg_with_stray_bytes, unreadable_jpeg
from tests.ingestsupport import thumbnail

# Names whose upload order, date order and name order all differ, so a sort shows.
NAMES = [
    "kite",
    "alder",
    "maple",
    "birch",
    "juniper",
    "cedar",
    "fir",
    "hazel",
    "elm",
    "larch",
    "oak",
    "yew",
]
T = TypeVar("T")
CELLS = ".photo-grid [data-photo-id]"
ROWS = ".photo-table [data-photo-id]"


def make_shoot(web: WebApp, tmp_path: Path, count: int = 12) -> tuple[str, list[dict[str, Any]]]:
    folder = web.project("Grid shoot")
    paths = []
    for n, name in enumerate(NAMES[:count]):
        minute = (n * 7) % count
        exif = Exif(
            date_time_original=f"2024:05:01 14:{minute:02d}:00",
            model=f"Sheet {n}",
            exposure_time=(1, 60 * (n + 1)),
            iso=100 * (n + 1),
        )
        paths.append(jpeg(tmp_path / f"{name}.jpg", 640 - n * 8, 420 + n * 6, exif=exif))
    web.upload(folder, *paths)
    return folder, web.photos(folder)


def poll(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    """The server's state once `done` holds (workers run in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def wait_generated(web: WebApp, folder: str, count: int) -> list[dict[str, Any]]:
    """The server's own word that every thumbnail is made."""
    photos = poll(
        lambda: web.photos(folder),
        lambda found: (
            len(found) == count and all(p["thumbnail_status"] != "pending" for p in found)
        ),
    )
    assert len(photos) == count and all(p["thumbnail_status"] == "generated" for p in photos)
    return photos


def expect_thumbnails_loaded(page: Any, selector: str, count: int) -> None:
    page.wait_for_function(
        """([selector, count]) => {
            const imgs = [...document.querySelectorAll(selector + ' img')];
            const loaded = (img) => img.complete && img.naturalWidth > 0;
            return imgs.length >= count && imgs.every(loaded);
        }""",
        arg=[selector, count],
    )


def shown_names(page: Any, selector: str) -> list[str]:
    """The photos in listing order (by their index), as the page shows them."""
    return list(
        page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .sort((a, b) => a.dataset.index - b.dataset.index)
                .map((el) => el.querySelector('img').alt)""",
            selector,
        )
    )


def selected_ids(page: Any) -> list[int]:
    ids = page.eval_on_selector_all(
        "[data-photo-id][aria-selected=true]", "els => els.map((el) => el.dataset.photoId)"
    )
    return sorted(int(i) for i in ids)


def test_thumbnails_arrive_live_and_sizes_survive_a_reload(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Grid shoot")
    page.goto(f"/projects/{folder}")
    expect(page.get_by_text("No photos in this project yet")).to_be_visible()
    paths = [jpeg(tmp_path / f"{name}.jpg", 600, 400, exif=Exif(model=name)) for name in NAMES]
    web.upload(folder, *paths)
    # No reload: the upload and item events bring the cells and then their thumbnails.
    expect(page.locator(CELLS)).to_have_count(12)
    expect_thumbnails_loaded(page, CELLS, 12)
    assert all(p["thumbnail_status"] == "generated" for p in wait_generated(web, folder, 12))
    assert page.locator(CELLS).first.locator("img").get_attribute("alt") in NAMES

    def columns() -> int:
        return int(
            page.evaluate(
                """() => new Set([...document.querySelectorAll('.photo-grid [data-photo-id]')]
                    .map((el) => el.style.transform.split(',')[0])).size"""
            )
        )

    medium = columns()
    page.get_by_role("button", name="Small").click()
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}?size=s")
    expect(page.locator(".photo-grid")).to_have_attribute("data-size", "s")
    small = columns()
    assert small > medium
    page.reload()
    expect(page.locator(".photo-grid")).to_have_attribute("data-size", "s")
    expect(page.locator(CELLS)).to_have_count(12)
    assert columns() == small
    # Listed after generation, each photo has its ThumbHash, painted behind the thumbnail.
    frames = page.eval_on_selector_all(
        f"{CELLS} .cell-frame", "els => els.map((el) => el.style.backgroundImage)"
    )
    assert len(frames) == 12 and all(f.startswith('url("data:image/png;base64,') for f in frames)
    page.get_by_role("button", name="Large").click()
    expect(page.locator(".photo-grid")).to_have_attribute("data-size", "l")
    assert columns() < medium


def test_the_table_sorts_by_its_headers_and_the_address_keeps_it(
    chromium: Any, page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder, photos = make_shoot(web, tmp_path)
    page.goto(f"/projects/{folder}")
    expect(page.locator(CELLS)).to_have_count(12)
    page.get_by_role("button", name="Table").click()
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}?view=table")
    expect(page.locator(ROWS)).to_have_count(12)
    by_date = [p["basename"] for p in photos]  # the API's default order: newest first
    assert shown_names(page, ROWS) == by_date
    header = page.get_by_role("columnheader", name="File name")
    expect(header).to_have_attribute("aria-sort", "none")
    expect(page.get_by_role("columnheader", name="Date taken")).to_have_attribute(
        "aria-sort", "descending"
    )
    header.get_by_role("button").click()
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}?view=table&sort=filename&dir=asc")
    expect(page.get_by_role("columnheader", name="File name")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page.locator(ROWS)).to_have_count(12)
    assert shown_names(page, ROWS) == sorted(NAMES)
    assert [p["basename"] for p in web.photos(folder, sort="filename", dir="asc")] == sorted(NAMES)
    # A second click turns the order round.
    page.get_by_role("columnheader", name="File name").get_by_role("button").click()
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}?view=table&sort=filename")
    expect(page.locator(f"{ROWS}[data-index='0'] img")).to_have_attribute("alt", "yew")
    assert shown_names(page, ROWS) == sorted(NAMES, reverse=True)
    page.reload()
    expect(page.locator(ROWS)).to_have_count(12)
    assert shown_names(page, ROWS) == sorted(NAMES, reverse=True)
    # The same keys as the grid: a click, a step down, a culling key, Enter for the viewer.
    page.locator(f"{ROWS}[data-index='0']").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.locator(f"{ROWS}[aria-selected=true]")).to_have_count(3)
    page.keyboard.press("x")
    expect(page.locator(f"{ROWS} .pick-rejected")).to_have_count(3)
    by_name = {p["basename"]: p for p in web.photos(folder)}
    rejected = poll(
        lambda: sorted(p["basename"] for p in web.photos(folder) if p["pick"] == "rejected"),
        lambda names: len(names) == 3,
    )
    assert rejected == sorted(sorted(NAMES, reverse=True)[:3])
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{web.url}/projects/{quote(folder)}?view=table&sort=filename&photo={by_name['maple']['id']}"
    )
    # A pasted link in another window shows the same.
    other = new_page(chromium, web)
    other.goto(f"/projects/{folder}?view=table&sort=filename&dir=asc")
    expect(other.locator(ROWS)).to_have_count(12)
    assert shown_names(other, ROWS) == sorted(NAMES)
    expect(other.get_by_role("columnheader", name="File name")).to_have_attribute(
        "aria-sort", "ascending"
    )
    other.context.close()


def test_a_thumbnail_deleted_on_disk_still_shows(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder, _ = make_shoot(web, tmp_path, count=3)
    photos = wait_generated(web, folder, 3)
    victim = photos[0]
    path = thumbnail(web.runtime, folder, victim["basename"])
    assert path.is_file()
    path.unlink()
    page.goto(f"/projects/{folder}")
    cell = page.locator(f"[data-photo-id='{victim['id']}']")
    expect(cell).to_be_visible()
    page.wait_for_function(
        "(id) => { const img = document.querySelector(`[data-photo-id='${id}'] img`);"
        " return img && img.complete && img.naturalWidth > 0; }",
        arg=victim["id"],
    )
    assert path.is_file()  # made again on the spot by the server


def test_an_item_event_swaps_one_thumbnail_in_place(
    chromium: Any, web: WebApp, tmp_path: Path
) -> None:
    folder, _ = make_shoot(web, tmp_path)
    photos = wait_generated(web, folder, 12)
    page = new_page(chromium, web, viewport={"width": 1000, "height": 600})
    page.goto(f"/projects/{folder}")
    expect_thumbnails_loaded(page, CELLS, 6)
    grid = page.locator(".photo-grid")
    grid.evaluate("el => { el.scrollTop = 120; }")
    page.wait_for_function("() => document.querySelector('.photo-grid').scrollTop === 120")
    target = photos[4]
    page.locator(f"[data-photo-id='{target['id']}']").click()
    page.locator(f"[data-photo-id='{photos[5]['id']}']").click(modifiers=["Control"])
    before_ids = selected_ids(page)
    scroll_top = grid.evaluate("el => el.scrollTop")
    assert scroll_top > 0
    assert before_ids == sorted([target["id"], photos[5]["id"]])
    src_before = page.locator(f"[data-photo-id='{target['id']}'] img").get_attribute("src")
    assert "?v=" not in src_before
    answer = web.http.post(
        "/api/photos/process", json={"items": [{"photo_id": target["id"]}], "force": True}
    )
    assert answer.status_code == 202, answer.text
    img = page.locator(f"[data-photo-id='{target['id']}'] img")
    expect(img).to_have_attribute("src", f"{src_before}?v=1")
    page.wait_for_function(
        "(id) => { const img = document.querySelector(`[data-photo-id='${id}'] img`);"
        " return img.complete && img.naturalWidth > 0; }",
        arg=target["id"],
    )
    assert grid.evaluate("el => el.scrollTop") == scroll_top
    assert selected_ids(page) == before_ids
    # Only that cell changed: its neighbours still show the first version.
    other = page.locator(f"[data-photo-id='{photos[5]['id']}'] img").get_attribute("src")
    assert "?v=" not in other
    page.context.close()


def insert_photos(web: WebApp, folder: str, count: int) -> None:
    """Rows straight into the catalogue (no files): thousands in well under a second."""
    project_id = web.http.get(f"/api/projects/{folder}").json()["id"]
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    values = []
    for n in range(count):
        basename = f"DSC{n:05d}"
        values.append(
            {
                "tenant": web.runtime.tenant,
                "project_id": project_id,
                "basename": basename,
                "basename_key": name_key(basename),
                "filenames": [f"{basename}.JPG", f"{basename}.ARW"],
                "jpg_available": True,
                "raw_available": True,
                "other_available": False,
                "keep_jpg": True,
                "keep_raw": n % 3 != 0,
                "file_size": 1000 + n,
                "taken_at": start + timedelta(seconds=n),
                "rating": n % 6,
                "pick": ("unflagged", "picked", "rejected")[n % 3],
                "visibility": "private",
                "exif": {},
                "created_at": start,
                "updated_at": start,
            }
        )
    with web.runtime.db.write() as session:
        session.connection().execute(insert(Photo.__table__), values)


COUNT_NODES = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ALL);
    let nodes = 0;
    while (walker.nextNode()) nodes += 1;
    return {elements: document.getElementsByTagName('*').length, nodes};
}"""


def test_the_dom_stays_small_at_thousands_of_photos(page: Any, web: WebApp) -> None:
    folder = web.project("Big shoot")
    insert_photos(web, folder, 5000)
    page.goto(f"/projects/{folder}?size=s")
    expect(page.locator(".photo-count")).to_have_text("5,000 photos")
    expect(page.locator(f"{CELLS}[data-index='0']")).to_have_attribute(
        "data-photo-id", str(web.photos(folder, limit=1)[0]["id"])
    )
    # Rows without derivatives: the cell says so, and asks the server for no image.
    top = page.locator(f"{CELLS}[data-index='0']")
    expect(top.locator("[data-derivative=pending]")).to_have_text("pending")
    assert top.locator("img").get_attribute("src") is None
    grid = page.locator(".photo-grid")
    counts = [page.evaluate(COUNT_NODES)]
    grid.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    expect(page.locator(f"{CELLS}[data-index='2500']")).to_be_visible()
    counts.append(page.evaluate(COUNT_NODES))
    # Another size keeps the first photo in view where the user was.
    first_seen = int(
        page.evaluate(
            """() => { const grid = document.querySelector('.photo-grid').getBoundingClientRect();
                return Math.min(...[...document.querySelectorAll('.photo-grid [data-photo-id]')]
                  .filter((el) => el.getBoundingClientRect().top >= grid.top - 1)
                  .map((el) => Number(el.dataset.index))); }"""
        )
    )
    assert 2000 < first_seen < 3000
    page.get_by_role("button", name="Large").click()
    expect(page.locator(".photo-grid")).to_have_attribute("data-size", "l")
    expect(page.locator(f"{CELLS}[data-index='{first_seen}']")).to_be_in_viewport()
    counts.append(page.evaluate(COUNT_NODES))
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = web.photos(folder, sort="taken_at", dir="asc", limit=1)[0]
    expect(page.locator(f"{CELLS}[data-index='4999']")).to_have_attribute(
        "data-photo-id", str(last["id"])
    )
    expect(page.locator(f"{CELLS}[data-index='4999']")).to_be_in_viewport()
    counts.append(page.evaluate(COUNT_NODES))
    for count in counts:
        assert count["elements"] < 2000, counts
        assert count["nodes"] < 4000, counts
    # Cells are recycled, not piled up: about a few screens of them.
    assert page.locator(".photo-grid .cell").count() < 400


@pytest.mark.parametrize("view", ["grid", "table"])
def test_a_phone_width_shows_columns_and_no_sideways_scroll(
    chromium: Any, web: WebApp, tmp_path: Path, view: str
) -> None:
    folder, _ = make_shoot(web, tmp_path, count=4)
    page = new_page(chromium, web, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"/projects/{folder}" + ("?view=table" if view == "table" else ""))
    selector = CELLS if view == "grid" else ROWS
    expect(page.locator(selector)).to_have_count(4)
    if view == "grid":
        xs = page.eval_on_selector_all(
            CELLS, "els => new Set(els.map((el) => el.getBoundingClientRect().left)).size"
        )
        assert xs >= 2
    else:
        expect(page.get_by_role("columnheader", name="Camera")).to_be_hidden()
        expect(page.get_by_role("columnheader", name="File name")).to_be_visible()
    overflow = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.collection-scroll')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.className)"""
    )
    assert overflow == []
    page.context.close()


def test_selection_keys_and_a_culling_key(page: Any, web: WebApp, tmp_path: Path) -> None:
    folder, photos = make_shoot(web, tmp_path)
    ids = [p["id"] for p in photos]
    page.goto(f"/projects/{folder}")
    expect(page.locator(CELLS)).to_have_count(12)

    def cell(index: int) -> Any:
        return page.locator(f"{CELLS}[data-index='{index}']")

    cell(1).click()
    cell(4).click(modifiers=["Shift"])
    expect(page.locator("[aria-selected=true]")).to_have_count(4)
    assert selected_ids(page) == sorted(ids[1:5])
    # Moving the range's end back takes photos out again, as in Lightroom.
    cell(2).click(modifiers=["Shift"])
    expect(page.locator("[aria-selected=true]")).to_have_count(2)
    cell(4).click(modifiers=["Shift"])
    expect(page.locator("[aria-selected=true]")).to_have_count(4)
    cell(7).click(modifiers=["Control"])
    expect(page.locator("[aria-selected=true]")).to_have_count(5)
    cell(2).click(modifiers=["Control"])
    expect(page.locator("[aria-selected=true]")).to_have_count(4)
    assert selected_ids(page) == sorted([ids[1], ids[3], ids[4], ids[7]])
    page.keyboard.press("Escape")
    expect(page.locator("[aria-selected=true]")).to_have_count(0)

    # Keys: the focus moves with the arrows, shift+arrow extends, space toggles.
    cell(0).click()
    grid = page.locator(".photo-grid")
    expect(grid).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(cell(1)).to_have_class("cell is-focus")
    expect(grid).to_have_attribute("aria-activedescendant", cell(1).get_attribute("id") or "")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("[aria-selected=true]")).to_have_count(3)
    page.keyboard.press("Space")  # the focused photo (index 2) leaves the selection
    expect(page.locator("[aria-selected=true]")).to_have_count(2)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+a")
    expect(page.locator("[aria-selected=true]")).to_have_count(12)
    page.keyboard.press("Escape")

    # A culling key applies to every selected photo, on the server too.
    cell(5).click()
    cell(6).click(modifiers=["Control"])
    page.keyboard.press("3")
    expect(cell(5).locator(".stars")).to_have_text("★★★")
    expect(cell(6).locator(".stars")).to_have_text("★★★")
    expect(cell(4).locator(".stars")).to_have_count(0)

    def ratings() -> dict[int, int]:
        return {p["id"]: p["rating"] for p in web.photos(folder)}

    now = poll(ratings, lambda r: r[ids[5]] == 3 and r[ids[6]] == 3)
    assert now[ids[5]] == 3 and now[ids[6]] == 3
    assert sum(1 for rating in now.values() if rating) == 2

    # Enter opens the viewer on the focused photo.
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{web.url}/projects/{quote(folder)}?photo={ids[6]}")


def test_badges_say_why_a_thumbnail_is_missing_or_imperfect(
    page: Any, web: WebApp, tmp_path: Path
) -> None:
    folder = web.project("Damaged")
    web.upload(
        folder,
        unreadable_jpeg(tmp_path / "broken.jpg"),
        jpeg_with_stray_bytes(tmp_path / "stray.jpg"),
        jpeg(tmp_path / "fine.jpg", 600, 400),
    )
    photos = poll(
        lambda: {p["basename"]: p for p in web.photos(folder)},
        lambda found: (
            len(found) == 3
            and all(p["thumbnail_status"] != "pending" for p in found.values())
            and found["stray"]["derivative_warning"] is not None
        ),
    )
    assert photos["broken"]["thumbnail_status"] == "failed"
    assert photos["stray"]["thumbnail_status"] == "generated"
    page.goto(f"/projects/{quote(folder)}")
    broken = page.locator(f"[data-photo-id='{photos['broken']['id']}']")
    failed = broken.locator("[data-derivative=failed]")
    expect(failed).to_have_text("failed")
    title = failed.get_attribute("title") or ""
    assert title.startswith("No thumbnail: ") and len(title) > len("No thumbnail: ")
    # Nothing is asked of the server for a thumbnail it could not make.
    assert broken.locator("img").get_attribute("src") is None
    stray = page.locator(f"[data-photo-id='{photos['stray']['id']}']")
    warning = stray.locator("[data-derivative=warning]")
    expect(warning).to_have_attribute("title", photos["stray"]["derivative_warning"])
    fine = page.locator(f"[data-photo-id='{photos['fine']['id']}']")
    expect(fine.locator("[data-derivative]")).to_have_count(0)
    # The table says the same.
    page.get_by_role("button", name="Table").click()
    row = page.locator(f".photo-table [data-photo-id='{photos['broken']['id']}']")
    expect(row.locator("[data-derivative=failed]")).to_have_attribute("title", title)
