"""End-to-end ingest: from the first upload to every thumbnail and preview made, against the render
alone on the same cores.

Makes `--base` 24-megapixel JPEGs with photo-like content (cached between runs, as
bench/derivatives.py makes them) and from them `--photos` distinct files: each copy carries a few
bytes of its own after the image's end marker, so every upload is a new photo while every decode
costs the same. Then, in one run:

- `render only`: `engine.render` of the configured thumbnail and preview of `--render-sample`
  of the files, in this process, through a pool of one thread per core: the limit, measured
  before the modes and again after them (the server idle), and taken as the mean of both;
- starts `python -m contactsheet serve` on a fresh data folder with the default configuration
  (workers in the server, logging at INFO) and, each mode into a project of its own, sends every
  file:
  - `web client`: one file per request, 2 requests in flight (what the web UI does for files
    under 8 MB), sent by curl;
  - `batch`: 20 files per request, 2 in flight, by curl;
  - `tus`: tuspy, one file per upload, 2 in flight (what the web UI does for larger files);
- follows the event stream meanwhile: a photo's thumbnail counts as served when its `item`
  event says it was made and a GET of it answers 200; its latency is from the moment its upload
  request returned (for tus, from the `upload_completed` event);
- reports photos/s from the first upload to the last preview, its ratio to render-only, the
  thumbnail latency p50/p95, the server's peak RSS (VmHWM, reset between modes), and the job
  rows and events created per photo.

    .venv/bin/python bench/ingest.py [--photos 200] [--base 12] [--modes web,batch,tus]
                                     [--postgres-url URL]

Targets: throughput >= 85 % of render-only, thumbnail p95 < 1 s, peak RSS < 300 MB.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/ingest.py` puts bench/ first on the path, where bench/queue.py would shadow the
# standard library's `queue` module for everything imported below.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from urllib.parse import quote  # noqa: E402

import httpx  # noqa: E402
import sqlalchemy  # noqa: E402

from bench.derivatives import CACHE, make_photos  # noqa: E402
from bench.upload import HTTP_TIMEOUT, Server, login, new_project  # noqa: E402

TARGET_RATIO = 0.85
TARGET_THUMB_P95_S = 1.0
TARGET_RSS_MB = 300.0
IN_FLIGHT = 2  # the web client's upload concurrency (web/model/uploadqueue.js)
BATCH = 20


@dataclass
class ModeResult:
    mode: str
    photos: int
    seconds: float
    latencies: list[float]
    peak_rss_mb: float | None
    jobs_per_photo: float
    events_per_photo: float

    @property
    def photos_per_s(self) -> float:
        return self.photos / self.seconds if self.seconds else float("inf")


# -- files -----------------------------------------------------------------------------------------


def make_files(folder: Path, base: list[Path], count: int) -> list[Path]:
    """`count` distinct files from the base photos: the same JPEG, a trailer of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        source = base[index % len(base)]
        path = folder / f"SHOOT_{index:05d}.JPG"
        with path.open("wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.write(f"contactsheet-bench-{index}-{uuid.uuid4().hex}".encode())
        files.append(path)
    return files


# -- render only -----------------------------------------------------------------------------------


def render_only(files: list[Path]) -> float:
    """Photos/s of the engine alone, as the workers are configured by default."""
    from contactsheet.config import Settings
    from contactsheet.derivatives.params import specs
    from contactsheet.imaging.engine import configure, render

    processing = Settings().processing
    wanted = list(specs(processing).values())
    configure(processing.vips_concurrency)
    threads = processing.image_workers or os.cpu_count() or 1

    def one(path: Path) -> None:
        render(
            path,
            wanted,
            max_pixels=processing.max_pixels,
            timeout=processing.decode_timeout_seconds,
        )

    one(files[0])  # warm-up: libvips' first load
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, files))
    return len(files) / (time.perf_counter() - started)


# -- the event stream ------------------------------------------------------------------------------


@dataclass
class Watch:
    """What the event stream said about the photos of one project."""

    folder: str
    returned: dict[int, float] = field(default_factory=dict)  # photo id -> upload returned
    thumb_made: dict[int, float] = field(default_factory=dict)
    both_made: dict[int, float] = field(default_factory=dict)
    served: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    expected: int = 0


def follow_events(url: str, cookies: httpx.Cookies, watch: Watch, ready: threading.Event) -> None:
    fetcher = ThreadPoolExecutor(4)
    client = httpx.Client(base_url=url, timeout=HTTP_TIMEOUT, cookies=cookies)

    def fetch_thumbnail(photo_id: int) -> None:
        name = watch.names.get(photo_id)
        if name is None:
            return
        response = client.get(f"/api/projects/{watch.folder}/thumbnail/{name}")
        if response.status_code == 200:
            with watch.lock:
                watch.served.setdefault(photo_id, time.perf_counter())

    try:
        with client.stream("GET", "/api/events", params={"channels": "jobs"}) as stream:
            kind = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                    if kind == "ready":
                        ready.set()
                    continue
                if not line.startswith("data:") or kind not in ("item", "upload_completed"):
                    continue
                data = json.loads(line[5:])
                now = time.perf_counter()
                if kind == "upload_completed":
                    if data.get("project") == watch.folder and data.get("photo_id"):
                        with watch.lock:
                            watch.returned.setdefault(data["photo_id"], now)
                            watch.names[data["photo_id"]] = data["stored_as"].rsplit(".", 1)[0]
                    continue
                photo_id = data.get("photo_id")
                with watch.lock:
                    if data.get("thumbnail_status") == "generated":
                        if photo_id not in watch.thumb_made:
                            watch.thumb_made[photo_id] = now
                            fetcher.submit(fetch_thumbnail, photo_id)
                        if data.get("preview_status") == "generated":
                            watch.both_made.setdefault(photo_id, now)
                    if watch.expected and len(watch.both_made) >= watch.expected:
                        watch.done.set()
                if watch.done.is_set():
                    return
    finally:
        fetcher.shutdown(wait=True)
        client.close()


def start_following(url: str, cookies: httpx.Cookies, watch: Watch) -> threading.Thread:
    """`follow_events` on a thread of its own, returned once the stream is open."""
    ready = threading.Event()
    listener = threading.Thread(
        target=follow_events, args=(url, cookies, watch, ready), daemon=True
    )
    listener.start()
    if not ready.wait(30):
        raise RuntimeError("the event stream did not open")
    return listener


# -- senders ---------------------------------------------------------------------------------------


def _record(watch: Watch, body: dict) -> None:
    now = time.perf_counter()
    with watch.lock:
        for item in body["files"]:
            if item.get("status") == "stored":
                watch.returned.setdefault(item["photo_id"], now)
                watch.names[item["photo_id"]] = item["stored_as"].rsplit(".", 1)[0]


def send_curl(url: str, cookies: httpx.Cookies, watch: Watch, paths: list[Path]) -> None:
    """The same request sent by curl: a client in C costs this machine's cores (which the server
    shares here) a fraction of what a Python client does."""
    command = ["curl", "-sS", "--max-time", "600", "-H", f"Cookie: {_cookie(cookies)}"]
    for path in paths:
        command += ["-F", f"files=@{path};type=image/jpeg"]
    command += ["-w", "\n%{http_code}", f"{url}/api/projects/{quote(watch.folder)}/upload"]
    answer = subprocess.run(command, capture_output=True, check=True, text=True).stdout
    body, status = answer.rsplit("\n", 1)
    if status != "200":
        raise RuntimeError(f"upload failed: {status} {body[:300]}")
    _record(watch, json.loads(body))


def _cookie(cookies: httpx.Cookies) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def send_tus(url: str, cookies: httpx.Cookies, watch: Watch, path: Path) -> None:
    from tusclient.client import TusClient

    client = TusClient(f"{url}/api/uploads/tus/", headers={"Cookie": _cookie(cookies)})
    uploader = client.uploader(
        str(path),
        chunk_size=5 * 1024 * 1024,
        metadata={"filename": path.name, "project": watch.folder},
    )
    uploader.upload()


def run_mode(
    server: Server, cookies: httpx.Cookies, files: list[Path], mode: str, database_url: str
) -> ModeResult:
    with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT, cookies=cookies) as client:
        folder = new_project(client, f"ingest {mode}")
    watch = Watch(folder, expected=len(files))
    before = _counts(database_url)
    listener = start_following(server.url, cookies, watch)
    server.reset_peak()
    started = time.perf_counter()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        if mode == "web":
            jobs = [pool.submit(send_curl, server.url, cookies, watch, [path]) for path in files]
        elif mode == "batch":
            batches = [files[i : i + BATCH] for i in range(0, len(files), BATCH)]
            jobs = [pool.submit(send_curl, server.url, cookies, watch, b) for b in batches]
        else:
            jobs = [pool.submit(send_tus, server.url, cookies, watch, p) for p in files]
        for job in jobs:
            job.result()
    uploaded = time.perf_counter()
    if not watch.done.wait(600):
        raise RuntimeError(f"{mode}: {len(watch.both_made)} of {len(files)} photos made")
    finished = max(watch.both_made.values())
    listener.join(30)
    peak = server.status("VmHWM")
    after = _counts(database_url)
    with watch.lock:
        latencies = [
            watch.served[pid] - watch.returned[pid] for pid in watch.served if pid in watch.returned
        ]
    print(
        f"{mode}: uploads took {uploaded - started:.1f} s, all made after "
        f"{finished - started:.1f} s"
    )
    photos = len(files)
    return ModeResult(
        mode,
        photos,
        finished - started,
        latencies,
        peak,
        (after[0] - before[0]) / photos,
        (after[1] - before[1]) / photos,
    )


def _counts(database_url: str) -> tuple[int, int]:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            jobs = connection.execute(sqlalchemy.text("SELECT count(*) FROM jobs")).scalar_one()
            events = connection.execute(sqlalchemy.text("SELECT count(*) FROM events")).scalar_one()
    finally:
        engine.dispose()
    return int(jobs), int(events)


# -- main ------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def print_table(render_rate: float, results: list[ModeResult], baseline_rss: float | None) -> None:
    header = (
        f"{'mode':<12} {'photos':>6} {'s':>7} {'photos/s':>9} {'of render':>10} "
        f"{'thumb p50':>10} {'thumb p95':>10} {'peak RSS MB':>12} {'jobs/photo':>11} "
        f"{'events/photo':>13}"
    )
    print()
    print(f"render only: {render_rate:.2f} photos/s (the limit on these cores)")
    print(header)
    print("-" * len(header))
    for row in results:
        ratio = row.photos_per_s / render_rate
        rss = f"{row.peak_rss_mb:.0f}" if row.peak_rss_mb is not None else "?"
        print(
            f"{row.mode:<12} {row.photos:>6} {row.seconds:>7.1f} {row.photos_per_s:>9.2f} "
            f"{ratio:>9.0%} {percentile(row.latencies, 0.5):>9.2f}s "
            f"{percentile(row.latencies, 0.95):>9.2f}s {rss:>12} "
            f"{row.jobs_per_photo:>11.2f} {row.events_per_photo:>13.1f}"
        )
    print(
        f"{'target':<12} {'':>6} {'':>7} {'':>9} {TARGET_RATIO:>9.0%} {'':>10} "
        f"{f'<{TARGET_THUMB_P95_S:.2f}s':>10} {f'<{TARGET_RSS_MB:.0f}':>12}"
    )
    if baseline_rss is not None:
        print(f"\nserver RSS after start-up and login: {baseline_rss:.0f} MB")
    print(
        f"{os.cpu_count()} cores; thumbnails counted when served (event, then a GET answering 200)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--base", type=int, default=12, help="distinct 24 MP images to make")
    parser.add_argument("--render-sample", type=int, default=60)
    parser.add_argument("--modes", default="web,batch,tus")
    parser.add_argument("--postgres-url", default=None, help="run the server on this database")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(modes) - {"web", "batch", "tus"}:
        parser.error(f"unknown modes {sorted(unknown)}")

    work = Path(tempfile.mkdtemp(prefix="cs-bench-ingest-"))
    server: Server | None = None
    database_url = ""
    try:
        started = time.perf_counter()
        base = make_photos(args.base, CACHE)
        # Each mode gets files of its own: a copy of another mode's would be skipped as identical.
        shoots = {mode: make_files(work / mode, base, args.photos) for mode in modes}
        print(
            f"{len(modes)} x {args.photos} files from {args.base} 24 MP photos in "
            f"{time.perf_counter() - started:.0f} s"
        )
        sample = shoots[modes[0]][: args.render_sample]
        rates = [render_only(sample)]
        data = work / "data"
        env = {"CONTACTSHEET_LOG_LEVEL": "info"}
        env.update(
            dict(item.split("=", 1) for item in os.environ.get("BENCH_SERVER_ENV", "").split())
        )
        database_url = f"sqlite:///{data}/db/user_0.sqlite"
        if args.postgres_url:
            database_url = fresh_postgres(args.postgres_url)
            env["CONTACTSHEET_DATABASE_URL"] = database_url
        server = Server(data, work / "serve.log", workers=True, env=env)
        server.wait_ready()
        cookies = login(server.url)
        baseline = server.status("VmRSS")
        results = []
        for mode in modes:
            results.append(run_mode(server, cookies, shoots[mode], mode, database_url))
        # Again after the modes, the server idle: a machine's speed drifts, and the limit is the
        # mean of both readings.
        rates.append(render_only(sample))
        print(f"render only: {' and '.join(f'{r:.2f}' for r in rates)} photos/s")
        print_table(sum(rates) / len(rates), results, baseline)
    finally:
        if server is not None:
            server.stop()
        if args.postgres_url and database_url != args.postgres_url:
            drop_postgres(args.postgres_url, database_url)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def fresh_postgres(url: str) -> str:
    """A new database on the server of `url`, for this run alone."""
    name = f"cs_bench_ingest_{uuid.uuid4().hex[:8]}"
    _admin(url, f'CREATE DATABASE "{name}"')
    return sqlalchemy.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str, database_url: str) -> None:
    name = sqlalchemy.engine.make_url(database_url).database
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, statement: str) -> None:
    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(statement))
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
