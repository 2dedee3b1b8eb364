"""The web UI at scale: a real server holding one big project, driven by headless Chromium.

    .venv/bin/python bench/web.py [--photos 50000] [--runs 3]

Seeds a project of `--photos` photos straight into a fresh SQLite database (bulk inserts) with
real derivative files: a dozen real camera JPEGs from the shared corpus rendered once by the app's
own engine at the configured sizes and formats, hard-linked per photo, with records that match
them, so the server serves them as generated (checked at the end: no derivative record written
and no `derivatives_generated` logged during the run). Then `contactsheet serve` runs in a
subprocess (default configuration, logging at INFO) and Chromium (1440x900) measures:

- first screen   navigation start -> every cell in view shows its thumbnail (img complete,
                 naturalWidth > 0, one frame later); median of --runs cold contexts
- jump to end    scrollTop = scrollHeight -> the last photo's thumbnail painted
- DOM nodes      document.getElementsByTagName('*').length, middle of the project, and the
                 maximum over top / middle / end
- JS heap        CDP JSHeapUsedSize after scrolling top to bottom in 200 steps, one frame each
                 (and after a forced GC: what is really retained)
- next preview   viewer open (?photo=), preloads settled, ArrowRight -> the next photo's preview
                 (img[data-photo-id][data-state=preview]) complete, one frame later; median

Limits measured in the same run: a plain page of the same thumbnails <img>s (one screen, cold
cache) for the first screen; a fetch of the last listing page plus the last screen's thumbnails
for the jump; a plain decode of a cached preview for the viewer.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/web.py` puts bench/ first on the path, where bench/queue.py would shadow the
# standard library's `queue` module for everything imported below.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import statistics
import tempfile
import time
from typing import Any
from urllib.parse import quote

import httpx

from bench import websupport

VIEWPORT = {"width": 1440, "height": 900}
SCROLL_STEPS = 200
VIEWER_PRESSES = 20
TARGETS = {  # measure -> (limit, unit)
    "first screen": (1000.0, "ms"),
    "jump to end": (500.0, "ms"),
    "DOM nodes (middle)": (2000, ""),
    "DOM nodes (max)": (2000, ""),
    "JS heap after full scroll": (150.0, "MB"),
    "next preview (preloaded)": (100.0, "ms"),
}

# In-page helpers, installed before any of the app's scripts (not subject to the page's CSP).
HELPERS = r"""
window.__bench = {
  longTasks: [],
  scroller() {
    return document.querySelector('.collection-scroll') || document.scrollingElement;
  },
  visibleCells() {
    const scroller = this.scroller();
    const box = scroller === document.scrollingElement
      ? { top: 0, bottom: innerHeight } : scroller.getBoundingClientRect();
    const top = Math.max(0, box.top), bottom = Math.min(innerHeight, box.bottom);
    return [...document.querySelectorAll('[data-index]')].filter((cell) => {
      if (cell.hidden) return false;
      const r = cell.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.bottom > top && r.top < bottom
        && r.right > 0 && r.left < innerWidth;
    });
  },
  thumbOf(cell) { return cell.querySelector('img[src*="/thumbnail/"]'); },
  painted(cell) {
    const img = cell && this.thumbOf(cell);
    return Boolean(img && img.complete && img.naturalWidth > 0);
  },
  screenPainted() {
    const cells = this.visibleCells();
    return cells.length > 0 && cells.every((c) => c.dataset.photoId && this.painted(c));
  },
  cellPainted(photoId) {
    return this.painted(document.querySelector(`[data-index][data-photo-id="${photoId}"]`));
  },
  previewPainted(photoId) {
    const img = document.querySelector(`img[data-photo-id="${photoId}"][data-state="preview"]`);
    return Boolean(img && img.complete && img.naturalWidth > 0);
  },
  // Resolves with performance.now() one frame after `predicate` first held in a frame: the frame
  // where it held has then been painted.
  until(predicate, timeout = 30000) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const tick = () => {
        let ok = false;
        try { ok = predicate(); } catch (e) { ok = false; }
        if (ok) { requestAnimationFrame(() => resolve(performance.now())); return; }
        if (performance.now() - started > timeout) { reject(new Error('timed out')); return; }
        requestAnimationFrame(tick);
      };
      tick();
    });
  },
  frame() { return new Promise((resolve) => requestAnimationFrame(() => resolve())); },
  // Where the first screen's time went: when the last script, the listing and the thumbnails
  // arrived (ms from navigation start).
  phases() {
    const entries = performance.getEntriesByType('resource');
    const nav = performance.getEntriesByType('navigation')[0];
    const end = (list) => list.length ? Math.max(...list.map((e) => e.responseEnd)) : null;
    const start = (list) => list.length ? Math.min(...list.map((e) => e.startTime)) : null;
    const scripts = entries.filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'));
    const listing = entries.filter((e) => /\/photos\?/.test(e.name));
    const thumbs = entries.filter((e) => e.name.includes('/thumbnail/'));
    const durations = thumbs.map((e) => e.responseEnd - e.requestStart).sort((a, b) => a - b);
    return { html: nav ? nav.responseEnd : null, scripts: end(scripts), scriptCount: scripts.length,
             listingStart: start(listing), listingEnd: end(listing),
             thumbsStart: start(thumbs), thumbsEnd: end(thumbs),
             thumbMedian: durations.length ? durations[durations.length >> 1] : null };
  },
  nodes() { return document.getElementsByTagName('*').length; },
  thumbnailBytes() {
    const entries = performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/thumbnail/'));
    return { count: entries.length,
             bytes: entries.reduce((sum, e) => sum + (e.encodedBodySize || 0), 0) };
  },
};
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: 'longtask', buffered: true });
} catch (e) {}
"""


def new_page(chromium: Any, url: str) -> Any:
    page = websupport.logged_in_page(chromium, url, viewport=VIEWPORT)
    page.context.add_init_script(HELPERS)
    page.set_default_timeout(60_000)
    return page


def close(page: Any) -> None:
    page.context.close()


# --- the app -----------------------------------------------------------------------------------


def first_screen(chromium: Any, url: str, folder: str) -> tuple[Any, dict[str, Any]]:
    """A cold context's navigation to the project; returns the page (still open) and figures."""
    page = new_page(chromium, url)
    page.goto(f"/projects/{quote(folder)}", wait_until="commit")
    painted = page.evaluate("window.__bench.until(() => window.__bench.screenPainted())")
    figures = page.evaluate(
        """() => {
          const cells = window.__bench.visibleCells();
          const r = cells[0].getBoundingClientRect();
          return { cells: cells.length, cellWidth: r.width, cellHeight: r.height,
                   ids: cells.map((c) => Number(c.dataset.photoId)),
                   thumbs: window.__bench.thumbnailBytes(),
                   phases: window.__bench.phases() };
        }"""
    )
    figures["ms"] = painted
    return page, figures


def revisit(page: Any, folder: str) -> float:
    """The same project opened again in the same browser: modules (kept for good under their
    version) and thumbnails come from its cache, as on a photographer's every later visit."""
    page.goto(f"/projects/{quote(folder)}", wait_until="commit")
    return float(page.evaluate("window.__bench.until(() => window.__bench.screenPainted())"))


def jump(page: Any, where: str, photo_id: int | None = None) -> float:
    """Scroll the grid to `where` (top|middle|end) at once; ms until that screen is painted (or,
    with `photo_id`, until that photo's cell is)."""
    target = {
        "top": "0",
        "middle": "(s.scrollHeight - s.clientHeight) / 2",
        "end": "s.scrollHeight",
    }[where]
    predicate = (
        f"window.__bench.cellPainted({photo_id})"
        if photo_id is not None
        else "window.__bench.screenPainted()"
    )
    return float(
        page.evaluate(
            f"""async () => {{
              const b = window.__bench, s = b.scroller();
              await b.frame();
              const started = performance.now();
              s.scrollTop = {target};
              const done = await b.until(() => {predicate});
              return done - started;
            }}"""
        )
    )


def scroll_through(page: Any, steps: int) -> dict[str, Any]:
    return dict(
        page.evaluate(
            f"""async () => {{
              const b = window.__bench, s = b.scroller();
              s.scrollTop = 0;
              await b.frame();
              const before = b.longTasks.length, started = performance.now();
              for (let i = 1; i <= {steps}; i += 1) {{
                s.scrollTop = (s.scrollHeight - s.clientHeight) * i / {steps};
                await b.frame();
              }}
              const scrolled = performance.now() - started;
              await b.until(() => b.screenPainted());
              const tasks = b.longTasks.slice(before);
              return {{ ms: scrolled, longTasks: tasks.length,
                        longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0),
                        longestTask: Math.max(0, ...tasks.map((t) => t.duration)) }};
            }}"""
        )
    )


def heap_mb(page: Any, *, collect: bool) -> float:
    cdp = page.context.new_cdp_session(page)
    try:
        if collect:
            cdp.send("HeapProfiler.enable")
            cdp.send("HeapProfiler.collectGarbage")
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        cdp.detach()
    return float(metrics["JSHeapUsedSize"]) / 1e6


def settle(page: Any, quiet_ms: int = 400, timeout_ms: int = 8000) -> None:
    """Wait until no resource finished loading for `quiet_ms` (preloads done)."""
    page.evaluate(
        f"""async () => {{
          const count = () => performance.getEntriesByType('resource').length;
          const started = performance.now();
          let last = count(), since = performance.now();
          while (performance.now() - started < {timeout_ms}) {{
            await new Promise((r) => setTimeout(r, 50));
            const now = count();
            if (now !== last) {{ last = now; since = performance.now(); }}
            else if (performance.now() - since >= {quiet_ms}) return;
          }}
        }}"""
    )


def viewer_steps(page: Any, folder: str, ids: list[int], start: int, presses: int) -> list[float]:
    page.goto(f"/projects/{quote(folder)}?photo={ids[start]}")
    page.evaluate(f"window.__bench.until(() => window.__bench.previewPainted({ids[start]}))")
    samples = []
    for step in range(1, presses + 1):
        settle(page)
        next_id = ids[start + step]
        # Armed before the key goes down: the time runs from the keydown event's own timestamp.
        page.evaluate(
            f"""() => {{
              window.__bench.press = new Promise((resolve) => {{
                addEventListener('keydown', (event) => {{
                  const pressed = event.timeStamp;
                  window.__bench.until(() => window.__bench.previewPainted({next_id}), 10000)
                    .then((done) => resolve(done - pressed), () => resolve(-1));
                }}, {{ once: true, capture: true }});
              }});
            }}"""
        )
        page.keyboard.press("ArrowRight")
        ms = float(page.evaluate("window.__bench.press"))
        if ms < 0:
            raise RuntimeError(f"the viewer did not show the preview of photo {next_id}")
        samples.append(ms)
    return samples


# --- the limits --------------------------------------------------------------------------------


def floor_page(chromium: Any, url: str, thumbnails: list[str], cell: tuple[float, float]) -> Any:
    """A plain same-origin page holding one screen of the same thumbnail <img>s, nothing else."""
    page = new_page(chromium, url)
    width, height = cell
    images = "".join(
        f'<img src="{src}" width="{int(width)}" height="{int(height)}" alt="">'
        for src in thumbnails
    )
    html = (
        "<!doctype html><html><head><style>body{margin:0;background:#222}"
        "img{object-fit:contain;display:inline-block}</style></head>"
        f"<body>{images}</body></html>"
    )
    page.route(
        f"{url}/__bench_floor",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    return page


def floor_first_screen(chromium: Any, url: str, thumbnails: list[str], cell: Any) -> float:
    page = floor_page(chromium, url, thumbnails, cell)
    try:
        page.goto("/__bench_floor", wait_until="commit")
        return float(
            page.evaluate(
                """window.__bench.until(() => {
                  const imgs = [...document.images];
                  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
                })"""
            )
        )
    finally:
        close(page)


def floor_jump(
    chromium: Any, url: str, endpoint: str, total: int, screen: int, cell: Any
) -> tuple[float, float]:
    """Read the last page of the listing, then show its last screen of thumbnails (cold); returns
    (ms in all, ms of the listing request)."""
    page = floor_page(chromium, url, [], cell)
    try:
        page.goto("/__bench_floor")
        return tuple(
            page.evaluate(
                f"""async () => {{
                  const b = window.__bench;
                  await b.frame();
                  const started = performance.now();
                  const answer = await fetch('{endpoint}?offset={max(0, total - 100)}&limit=100');
                  const items = (await answer.json()).items.slice(-{screen});
                  b.listingMs = performance.now() - started;
                  for (const item of items) {{
                    const img = document.createElement('img');
                    img.width = {int(cell[0])}; img.height = {int(cell[1])};
                    img.src = item.thumbnail_url;
                    document.body.append(img);
                  }}
                  const done = await b.until(() => [...document.images].every(
                    (i) => i.complete && i.naturalWidth > 0));
                  return [done - started, b.listingMs];
                }}"""
            )
        )
    finally:
        close(page)


def floor_decode(chromium: Any, url: str, previews: list[str]) -> list[float]:
    """A plain decode of a preview already in memory: blob -> <img>.decode() -> one frame."""
    page = floor_page(chromium, url, [], (1, 1))
    try:
        page.goto("/__bench_floor")
        return list(
            page.evaluate(
                """async (urls) => {
                  const times = [];
                  for (const url of urls) {
                    const blob = await (await fetch(url)).blob();
                    const src = URL.createObjectURL(blob);
                    await window.__bench.frame();
                    const started = performance.now();
                    const img = new Image();
                    img.src = src;
                    await img.decode();
                    img.style.maxWidth = '100vw'; img.style.maxHeight = '100vh';
                    document.body.replaceChildren(img);
                    await window.__bench.frame();
                    await window.__bench.frame();
                    times.push(performance.now() - started);
                  }
                  return times;
                }""",
                previews,
            )
        )
    finally:
        close(page)


# --- the table ---------------------------------------------------------------------------------


def verdict(name: str, value: float) -> str:
    limit, _ = TARGETS[name]
    return "ok" if value < limit else "MISSED"


def print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    header = ("measure", "figure", "limit (this run)", "target", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def target_text(name: str) -> str:
    limit, unit = TARGETS[name]
    shown = f"{limit:,.0f}"
    return f"< {shown} {unit}".rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="cold first-screen loads (median)")
    parser.add_argument("--presses", type=int, default=VIEWER_PRESSES)
    parser.add_argument(
        "--thumbnail-size",
        type=int,
        default=None,
        help="long edge of thumbnails (the processing.thumbnail_size setting; default 800)",
    )
    args = parser.parse_args(argv)
    if args.photos < args.presses + 30:
        parser.error(f"--photos must be at least {args.presses + 30}")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cs-bench-web-") as temp:
        data = Path(temp) / "data"
        seeded = websupport.seed_project(
            data, "Bench 50k", args.photos, thumbnail_size=args.thumbnail_size
        )
        folder, ids = seeded["folder"], seeded["ids"]
        print(
            f"seeded {args.photos:,} photos in {seeded['seconds']:.1f} s "
            f"({len(seeded['samples'])} distinct real thumbnails and previews, hard-linked)"
        )
        before = websupport.derivative_state(data)
        log = Path(temp) / "server.log"
        size = args.thumbnail_size
        settings = {"CONTACTSHEET_PROCESSING__THUMBNAIL_SIZE": str(size)} if size else {}
        with (
            websupport.serve(data, log=log, **settings) as server,
            websupport.browser() as chromium,
        ):
            url = server.url
            endpoint = f"/api/projects/{quote(folder)}/photos"
            with httpx.Client(base_url=url, timeout=30) as http:
                websupport.login(http, url)
                listing = http.get(endpoint, params={"limit": 1}).raise_for_status().json()
                assert listing["items"][0]["id"] == ids[0], "listing order is not as seeded"
                last = http.get(endpoint, params={"offset": args.photos - 1, "limit": 1})
                assert last.raise_for_status().json()["items"][0]["id"] == ids[-1]
                thumb_times = []
                for i in range(30):
                    began = time.perf_counter()
                    http.get(
                        f"/api/projects/{quote(folder)}/thumbnail/DSC{i:05d}"
                    ).raise_for_status()
                    thumb_times.append((time.perf_counter() - began) * 1000)
                server_thumb_ms = statistics.median(thumb_times)

            runs, page = [], None
            for run in range(args.runs):
                if page is not None:
                    close(page)
                page, figures = first_screen(chromium, url, folder)
                runs.append(figures)
                print(f"  first screen, cold run {run + 1}: {figures['ms']:.0f} ms")
            assert page is not None
            shown = runs[-1]
            first_ms = statistics.median(r["ms"] for r in runs)
            warm_ms = statistics.median(revisit(page, folder) for _ in range(args.runs))
            errors = list(page.errors)

            nodes = {"top": page.evaluate("window.__bench.nodes()")}
            end_ms = jump(page, "end", ids[-1])
            nodes["end"] = page.evaluate("window.__bench.nodes()")
            jump(page, "top")
            middle_ms = jump(page, "middle")
            nodes["middle"] = page.evaluate("window.__bench.nodes()")
            scrolled = scroll_through(page, SCROLL_STEPS)
            heap = heap_mb(page, collect=False)
            heap_gc = heap_mb(page, collect=True)
            nodes["after scroll"] = page.evaluate("window.__bench.nodes()")

            viewer = viewer_steps(page, folder, ids, 10, args.presses)
            errors += [e for e in page.errors if e not in errors]
            close(page)

            # The limits, each in a cold context of its own.
            screen_urls = [
                f"/api/projects/{quote(folder)}/thumbnail/DSC{args.photos - 1 - i:05d}"
                for i in range(shown["cells"])
            ]
            cell = (shown["cellWidth"], shown["cellHeight"])
            floor_first = statistics.median(
                floor_first_screen(chromium, url, screen_urls, cell) for _ in range(args.runs)
            )
            floor_end, floor_listing = floor_jump(
                chromium, url, endpoint, args.photos, shown["cells"], cell
            )
            previews = [f"/api/projects/{quote(folder)}/preview/DSC{i:05d}" for i in range(12)]
            decode = floor_decode(chromium, url, previews)
            generated = server.log_count("derivatives_generated")
        after = websupport.derivative_state(data)

    thumbs = shown["thumbs"]
    cold_runs = ", ".join(f"{r['ms']:.0f}" for r in runs)
    rows = [
        (
            "first screen",
            f"{first_ms:.0f} ms",
            f"{floor_first:.0f} ms (plain page, same {shown['cells']} thumbnails)",
            target_text("first screen"),
            verdict("first screen", first_ms),
        ),
        (
            "first screen, later visit",
            f"{warm_ms:.0f} ms",
            "modules and thumbnails from the browser's cache",
            target_text("first screen"),
            verdict("first screen", warm_ms),
        ),
        (
            "jump to end",
            f"{end_ms:.0f} ms",
            f"{floor_end:.0f} ms (fetch last page: {floor_listing:.0f} ms, + its thumbnails)",
            target_text("jump to end"),
            verdict("jump to end", end_ms),
        ),
        (
            "DOM nodes (middle)",
            f"{nodes['middle']:,}",
            "",
            target_text("DOM nodes (middle)"),
            verdict("DOM nodes (middle)", nodes["middle"]),
        ),
        (
            "DOM nodes (max)",
            f"{max(nodes.values()):,}",
            f"top {nodes['top']:,}, end {nodes['end']:,}, after scroll {nodes['after scroll']:,}",
            target_text("DOM nodes (max)"),
            verdict("DOM nodes (max)", max(nodes.values())),
        ),
        (
            "JS heap after full scroll",
            f"{heap:.1f} MB",
            f"{heap_gc:.1f} MB after a forced GC",
            target_text("JS heap after full scroll"),
            verdict("JS heap after full scroll", heap),
        ),
        (
            "next preview (preloaded)",
            f"{statistics.median(viewer):.0f} ms",
            f"{statistics.median(decode):.0f} ms (plain decode of a preview)",
            target_text("next preview (preloaded)"),
            verdict("next preview (preloaded)", statistics.median(viewer)),
        ),
    ]
    print()
    print_table(rows)
    print()
    print(
        f"{args.photos:,} photos, viewport {VIEWPORT['width']}x{VIEWPORT['height']}, Chromium "
        f"headless; first screen: median of {args.runs} cold loads "
        f"({cold_runs} ms)."
    )
    print(
        f"first screen: {shown['cells']} cells of {shown['cellWidth']:.0f}x"
        f"{shown['cellHeight']:.0f} px; {thumbs['count']} thumbnails requested, "
        f"{thumbs['bytes'] / 1e6:.2f} MB ({thumbs['bytes'] / max(1, thumbs['count']) / 1e3:.0f} KB "
        "each)."
    )
    phases = shown["phases"]
    print(
        "first screen, last cold run (ms from navigation start): html {html:.0f}, "
        "{scriptCount} scripts done {scripts:.0f}, listing {listingStart:.0f}-{listingEnd:.0f}, "
        "thumbnails {thumbsStart:.0f}-{thumbsEnd:.0f} (median request {thumbMedian:.0f}); "
        "painted {ms:.0f}".format(**{k: v or 0 for k, v in phases.items()}, ms=shown["ms"])
    )
    print(f"server: one thumbnail request, warm, sequential: {server_thumb_ms:.1f} ms (median)")
    print(
        f"jump to middle: {middle_ms:.0f} ms. Scroll-through: {SCROLL_STEPS} steps in "
        f"{scrolled['ms']:.0f} ms, {scrolled['longTasks']} long tasks "
        f"({scrolled['longTaskMs']:.0f} ms in all, longest {scrolled['longestTask']:.0f} ms)."
    )
    print(
        f"next preview: {len(viewer)} presses, min {min(viewer):.0f} / median "
        f"{statistics.median(viewer):.0f} / max {max(viewer):.0f} ms; plain decode "
        f"{', '.join(f'{d:.0f}' for d in decode)} ms."
    )
    regenerated = before != after or generated
    print(
        "derivatives: served as generated, none remade"
        if not regenerated
        else f"WARNING: derivatives were remade during the run ({generated} logged; "
        f"records {before} -> {after}): the figures include regeneration"
    )
    if errors:
        print("page errors:\n  " + "\n  ".join(errors[:10]))
    print(
        f"total run: {time.perf_counter() - started:.0f} s on {os.cpu_count()} cores; load average "
        f"before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (other work on the machine "
        "slows every figure, the limits alike)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
