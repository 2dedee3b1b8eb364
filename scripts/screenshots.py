"""The screenshots of docs/screenshots/, made again from nothing: anyone can re-run it.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--keep]

Starts `contactsheet serve` on a temporary data folder, creates a project named like a real shoot
and uploads real camera files from the shared corpus (../shared/corpus: JPEGs with EXIF from a few
dozen camera models, two of them with the RAW of the same shot beside them; copied, never
modified), waits for the thumbnails and previews, sets ratings, picks, tags and keep decisions
through the API, then saves with headless Chromium:

    grid.png             the grid, 1440x900, a few photos selected
    table.png            the table view
    viewer-exif.png      the viewer with the information (EXIF) panel open
    upload-conflict.png  the upload analysis: a file whose name is taken by different content,
                         and a duplicate of a file already there under another name
    processes.png        the processes panel while a forced regeneration of the project runs
    grid-phone.png       the grid at a phone's width (390x844)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from itertools import zip_longest  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import quote  # noqa: E402

import httpx  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from bench import websupport  # noqa: E402

PROJECT = "Porto weekend, May 2019"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PHOTOS = 34  # camera JPEGs
MAX_PNG = 1_500_000
# Two real RAWs (real metadata; their pixels are stripped, so the JPG beside them is shown).
RAWS = (
    "raw_metadata_only/exiftool+exiftool/t/images/Nikon.nef",
    "raw_metadata_only/ianare+exif-py/tests/resources/raw/sony_alpha_a7iii_raw_image.ARW",
)
# Not what a photographer's shoot holds: thermal and trail cameras, a game, made-up makers.
NOT_A_SHOOT = ("FLIR", "RECONYX", "456", "POLYPHONY")


def pick_files(count: int) -> list[Path]:
    """Camera JPEGs of at least a megapixel with a date taken, one per model, makers taken in turn
    (so the grid is not a wall of one brand)."""
    by_make: dict[str, list[dict[str, str]]] = {}
    for row in websupport.camera_jpegs(400):
        if not row["datetime_original"] or row["datetime_original"].startswith("0000"):
            continue
        if row["make"].upper().startswith(NOT_A_SHOOT):
            continue
        by_make.setdefault(row["make"].split()[0].upper(), []).append(row)
    ordered = [r for group in zip_longest(*by_make.values()) for r in group if r is not None]
    return [websupport.CORPUS / row["file"] for row in ordered[:count]]


def stage_files(work: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Copies named as one camera's sequence would be; returns (JPEGs, RAWs, unused camera
    JPEGs for the upload dialog)."""
    work.mkdir(parents=True, exist_ok=True)
    candidates = pick_files(PHOTOS + 2)
    sources, spare = candidates[:PHOTOS], candidates[PHOTOS:]
    jpegs = []
    for number, source in enumerate(sources, start=4101):
        target = work / f"DSC_{number}.JPG"
        shutil.copyfile(source, target)
        jpegs.append(target)
    raws = []
    for jpeg, raw in zip(jpegs[1:3], RAWS, strict=True):
        target = work / f"{jpeg.stem}{Path(raw).suffix.upper()}"
        shutil.copyfile(websupport.CORPUS / raw, target)
        raws.append(target)
    return jpegs, raws, spare


def upload(http: httpx.Client, folder: str, paths: list[Path]) -> None:
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    answer = http.post(f"/api/projects/{quote(folder)}/upload", files=files, timeout=120)
    refused = [f for f in answer.raise_for_status().json()["files"] if f["status"] != "stored"]
    if refused:
        raise RuntimeError(f"the server refused some files: {refused}")


def photos(http: httpx.Client, folder: str) -> list[dict[str, Any]]:
    answer = http.get(f"/api/projects/{quote(folder)}/photos", params={"limit": 500})
    return list(answer.raise_for_status().json()["items"])


def wait_for_derivatives(http: httpx.Client, folder: str, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = photos(http, folder)
        done = [
            i
            for i in items
            if i["thumbnail_status"] != "pending" and i["preview_status"] != "pending"
        ]
        if len(items) >= expected and len(done) == len(items):
            jobs = http.get("/api/jobs", params={"status": "queued,running"}).json()["items"]
            if not jobs:
                return
        time.sleep(0.3)
    raise TimeoutError("the derivatives were not made in time")


def cull(http: httpx.Client, items: list[dict[str, Any]]) -> None:
    """Decisions a photographer would have made halfway through the shoot."""
    ids = [i["id"] for i in items]

    def refs(chosen: list[int]) -> list[dict[str, int]]:
        return [{"photo_id": i} for i in chosen]

    def post(path: str, body: dict[str, Any]) -> None:
        http.post(path, json=body).raise_for_status()

    post("/api/photos/rating", {"items": refs(ids[0:12:3]), "rating": 5})
    post("/api/photos/rating", {"items": refs(ids[1:20:4]), "rating": 3})
    post("/api/photos/rating", {"items": refs(ids[14:18]), "rating": 2})
    post("/api/photos/pick", {"items": refs(ids[0:12:3]), "pick": "picked"})
    post("/api/photos/pick", {"items": refs([ids[7], ids[13], ids[22]]), "pick": "rejected"})
    post("/api/photos/tags/add", {"items": refs(ids[0:12:3]), "tags": ["portfolio"]})
    post("/api/photos/tags/add", {"items": refs(ids[2:9]), "tags": ["Ribeira", "street"]})
    # Rejected ones marked for deletion; a JPG+RAW kept as RAW only.
    post(
        "/api/photos/keep",
        {"items": [{"photo_id": i, "keep_jpg": False} for i in (ids[7], ids[13], ids[22])]},
    )
    raw_pairs = [i for i in items if i["raw_available"] and i["jpg_available"]]
    if raw_pairs:
        item = {"photo_id": raw_pairs[0]["id"], "keep_jpg": False, "keep_raw": True}
        post("/api/photos/keep", {"items": [item]})


# --- the pages ---------------------------------------------------------------------------------

GRID_PAINTED = """() => {
  const cells = [...document.querySelectorAll('[data-index]')].filter((c) => {
    const r = c.getBoundingClientRect();
    return !c.hidden && r.width > 0 && r.bottom > 0 && r.top < innerHeight;
  });
  return cells.length > 0 && cells.every((c) => {
    const img = c.querySelector('img[src*="/thumbnail/"]');
    return img && img.complete && img.naturalWidth > 0;
  });
}"""

IMAGES_PAINTED = """() => [...document.images].every((i) => !i.getAttribute('src') ||
  (i.complete && (i.naturalWidth > 0 || i.loading === 'lazy')))"""


def shoot(page: Any, path: Path) -> None:
    page.evaluate("document.fonts.ready")
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(path), type="png", scale="css", animations="disabled")
    size = path.stat().st_size
    note = "  (over 1.5 MB)" if size > MAX_PNG else ""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"  {shown}: {size / 1e3:.0f} KB{note}")


def open_project(page: Any, folder: str, query: str = "") -> None:
    page.goto(f"/projects/{quote(folder)}{query}")


def grid_shots(chromium: Any, url: str, folder: str, out: Path) -> None:
    page = websupport.logged_in_page(chromium, url, viewport=DESKTOP)
    open_project(page, folder)
    page.wait_for_function(GRID_PAINTED)
    cells = page.locator("[data-index]")
    cells.nth(1).click()
    cells.nth(4).click(modifiers=["Control"])
    cells.nth(5).click(modifiers=["Control"])
    page.mouse.move(DESKTOP["width"] - 5, DESKTOP["height"] - 5)
    page.wait_for_function(GRID_PAINTED)
    shoot(page, out / "grid.png")

    open_project(page, folder, "?view=table")
    page.wait_for_selector("[data-index]")
    page.wait_for_function(IMAGES_PAINTED)
    shoot(page, out / "table.png")
    report(page)
    page.context.close()


def viewer_shot(chromium: Any, url: str, folder: str, photo_id: int, out: Path) -> None:
    page = websupport.logged_in_page(chromium, url, viewport=DESKTOP)
    # The viewer remembers whether the information panel was open.
    page.add_init_script("localStorage.setItem('contactsheet.viewer.info', '1')")
    open_project(page, folder, f"?photo={photo_id}")
    page.wait_for_function(
        f"""() => {{
          const img = document.querySelector(
            'img[data-photo-id="{photo_id}"][data-state="preview"]');
          return img && img.complete && img.naturalWidth > 0;
        }}"""
    )
    info = page.get_by_role("button", name="Information (i)", exact=True)
    if info.get_attribute("aria-pressed") != "true":
        info.click()
    page.mouse.move(DESKTOP["width"] // 2, DESKTOP["height"] - 5)
    page.wait_for_timeout(400)  # the controls' fade settles (no event marks its end)
    shoot(page, out / "viewer-exif.png")
    report(page)
    page.context.close()


def upload_shot(
    chromium: Any,
    url: str,
    folder: str,
    taken: Path,
    duplicate_of: Path,
    spare: list[Path],
    work: Path,
    out: Path,
) -> None:
    """The analysis of a drop holding a name already taken by other content and a copy of a
    photo already in the project under another name."""
    conflict = work / "conflict" / taken.name
    conflict.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spare[0], conflict)
    duplicate = work / "conflict" / "IMG_0417.JPG"
    shutil.copyfile(duplicate_of, duplicate)
    fresh = work / "conflict" / "DSC_4190.JPG"
    shutil.copyfile(spare[1], fresh)

    page = websupport.logged_in_page(chromium, url, viewport=DESKTOP)
    open_project(page, folder)
    page.wait_for_function(GRID_PAINTED)
    chooser = page.locator('input[type="file"]:not([webkitdirectory])').first
    chooser.set_input_files([str(conflict), str(duplicate), str(fresh)])
    # The analysis is done when its classes are listed and Upload can be pressed.
    page.locator(".upload-dialog .upload-class").first.wait_for()
    page.locator(".upload-dialog button.primary:not([disabled])").wait_for()
    page.wait_for_function(IMAGES_PAINTED)
    shoot(page, out / "upload-conflict.png")
    report(page)
    page.context.close()


def processes_shot(
    chromium: Any, url: str, http: httpx.Client, folder: str, ids: list[int], out: Path
) -> None:
    page = websupport.logged_in_page(chromium, url, viewport=DESKTOP)
    open_project(page, folder)
    page.wait_for_function(GRID_PAINTED)
    button = page.locator(".processes-button")
    button.click()
    page.locator("#processes-panel").wait_for()
    # A forced regeneration of the whole project, twice over so it is still running when shot.
    for _ in range(2):
        items = [{"photo_id": i} for i in ids]
        http.post("/api/photos/process", json={"items": items, "force": True}).raise_for_status()
    page.locator("#processes-panel .job-status", has_text="Running").first.wait_for(timeout=15_000)
    # A running job that has got somewhere reads better; not every run catches one.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            """() => [...document.querySelectorAll('#processes-panel .job')].some((job) =>
                 /Running/.test(job.textContent) && job.querySelector('progress')?.value > 0)""",
            timeout=10_000,
        )
    shoot(page, out / "processes.png")
    report(page)
    page.context.close()


def phone_shot(chromium: Any, url: str, folder: str, out: Path) -> None:
    page = websupport.logged_in_page(
        chromium, url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    open_project(page, folder)
    page.wait_for_function(GRID_PAINTED)
    shoot(page, out / "grid-phone.png")
    report(page)
    page.context.close()


def report(page: Any) -> None:
    for error in page.errors:
        print(f"    page error: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument(
        "--only", default="", help="comma list of grid,viewer,upload,processes,phone (default all)"
    )
    args = parser.parse_args(argv)
    wanted = {w.strip() for w in args.only.split(",") if w.strip()} or {
        "grid",
        "viewer",
        "upload",
        "processes",
        "phone",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix="cs-screenshots-"))
    try:
        jpegs, raws, spare = stage_files(temp / "files")
        data = temp / "data"
        with (
            websupport.serve(
                data, log=temp / "server.log", CONTACTSHEET_PIPELINE__SCHEDULER_ENABLED="false"
            ) as server,
            httpx.Client(base_url=server.url, timeout=60) as http,
            websupport.browser() as chromium,
        ):
            websupport.login(http, server.url)
            answer = http.post("/api/projects", json={"name": PROJECT}).raise_for_status()
            folder = answer.json()["folder"]
            upload(http, folder, jpegs + raws)
            wait_for_derivatives(http, folder, len(jpegs), timeout=300)
            items = photos(http, folder)
            cull(http, items)
            paired = sum(1 for i in items if i["raw_available"] and i["jpg_available"])
            print(f"{len(items)} photos ({paired} JPG+RAW) in “{PROJECT}”; {server.url}")
            ids = [i["id"] for i in items]
            if "grid" in wanted:
                grid_shots(chromium, server.url, folder, args.out)
            if "viewer" in wanted:
                with_exif = next((i for i in items if i["metadata"]["lens"]), items[0])
                viewer_shot(chromium, server.url, folder, with_exif["id"], args.out)
            if "phone" in wanted:
                phone_shot(chromium, server.url, folder, args.out)
            if "upload" in wanted:
                upload_shot(
                    chromium,
                    server.url,
                    folder,
                    jpegs[3],
                    jpegs[6],
                    spare,
                    temp / "files",
                    args.out,
                )
            if "processes" in wanted:
                processes_shot(chromium, server.url, http, folder, ids, args.out)
    finally:
        if args.keep:
            print(f"kept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
