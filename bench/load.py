"""The server under load: many clients reading listings and thumbnails while a shoot is ingested.

Starts `python -m contactsheet serve` on a fresh data folder with the default configuration
(workers in the server, logging at INFO), uploads `--catalog` photos into one project and waits
for their thumbnails and previews. Then, at the same time:

- a shoot of `--ingest` 24 MP photos goes in as the web client sends it (one file per request,
  2 in flight) into a second project;
- `--clients` clients, ten to a login, loop over: a listing page
  (GET /api/photos?limit=250, then the project's page by filename), a thumbnail of the catalog
  (a random one, as a grid scrolling in), pausing 0 to 2 x `--think-ms` after each request as a
  person does; every tenth of them holds an event stream open;

until the shoot's every thumbnail and preview is made. Reports p50/p95/max per request kind,
errors, and the server's peak RSS.

    .venv/bin/python bench/load.py [--clients 50] [--catalog 60] [--ingest 24]
                                   [--postgres-url URL]

Targets: listing p95 < 100 ms and thumbnail p95 < 50 ms during the ingest, no errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/load.py` puts bench/ first on the path, where bench/queue.py would shadow the
# standard library's `queue` module for everything imported below.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import httpx  # noqa: E402

from bench.derivatives import CACHE, make_photos  # noqa: E402
from bench.ingest import (  # noqa: E402
    Watch,
    drop_postgres,
    fresh_postgres,
    make_files,
    percentile,
    send_curl,
    start_following,
)
from bench.upload import HTTP_TIMEOUT, Server, login, new_project  # noqa: E402

TARGETS_MS = {"listing": 100.0, "thumbnail": 50.0}
IN_FLIGHT = 2


def ingest(server: Server, cookies: httpx.Cookies, files: list[Path], folder: str) -> Watch:
    """Send `files` one per request, 2 in flight, and wait until all are made."""
    watch = Watch(folder, expected=len(files))
    listener = start_following(server.url, cookies, watch)
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for sent in [pool.submit(send_curl, server.url, cookies, watch, [p]) for p in files]:
            sent.result()
    if not watch.done.wait(600):
        raise RuntimeError(f"{len(watch.both_made)} of {len(files)} photos made")
    listener.join(30)
    return watch


async def client_loop(
    url: str,
    index: int,
    catalog: tuple[str, list[str]],
    stop: asyncio.Event,
    timings: dict[str, list[float]],
    errors: dict[str, int],
    think: float,
    cookies: httpx.Cookies,
) -> None:
    folder, names = catalog
    rng = random.Random(index)
    async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT, cookies=cookies) as client:
        stream_task = None
        if index % 10 == 0:
            stream_task = asyncio.create_task(_hold_stream(client, stop))
        try:
            while not stop.is_set():
                for kind, path in (
                    ("listing", "/api/photos?limit=250"),
                    ("thumbnail", f"/api/projects/{folder}/thumbnail/{rng.choice(names)}"),
                    ("listing", f"/api/projects/{folder}/photos?limit=250&sort=filename"),
                    ("thumbnail", f"/api/projects/{folder}/thumbnail/{rng.choice(names)}"),
                ):
                    started = time.perf_counter()
                    response = await client.get(path)
                    if not stop.is_set():
                        timings[kind].append(time.perf_counter() - started)
                        if response.status_code != 200:
                            errors[f"{kind} {response.status_code}"] += 1
                    # A person looks before the next click or scroll: 0 to 2x `think`.
                    await asyncio.sleep(rng.uniform(0, 2 * think))
        finally:
            if stream_task is not None:
                stream_task.cancel()


async def _hold_stream(client: httpx.AsyncClient, stop: asyncio.Event) -> None:
    async with client.stream("GET", "/api/events", params={"channels": "jobs"}) as stream:
        async for _line in stream.aiter_lines():
            if stop.is_set():
                return


async def under_load(
    url: str,
    clients: int,
    catalog: tuple[str, list[str]],
    during: threading.Thread,
    think: float,
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    stop = asyncio.Event()
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    # One login per ten clients: logins are rate limited per address (10 a window), and each
    # login may hold a few event streams (every tenth client holds one).
    logins = [login(url) for _ in range(max(1, clients // 10))]
    tasks = [
        asyncio.create_task(
            client_loop(url, i, catalog, stop, timings, errors, think, logins[i % len(logins)])
        )
        for i in range(clients)
    ]
    await asyncio.sleep(1.0)  # everyone looping before the shoot starts and the clock runs
    timings.clear()
    errors.clear()
    started = time.perf_counter()
    during.start()
    while during.is_alive():
        await asyncio.sleep(0.1)
    seconds = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return timings, errors, seconds


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--catalog", type=int, default=60, help="photos already in the library")
    parser.add_argument("--ingest", type=int, default=24, help="photos ingested under load")
    parser.add_argument("--base", type=int, default=12)
    parser.add_argument(
        "--think-ms", type=float, default=250, help="mean pause of a client between requests"
    )
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cs-bench-load-"))
    server: Server | None = None
    database_url = ""
    try:
        base = make_photos(args.base, CACHE)
        catalog_files = make_files(work / "catalog", base, args.catalog)
        shoot_files = make_files(work / "shoot", base, args.ingest)
        env = {"CONTACTSHEET_LOG_LEVEL": "info"}
        if args.postgres_url:
            database_url = fresh_postgres(args.postgres_url)
            env["CONTACTSHEET_DATABASE_URL"] = database_url
        server = Server(work / "data", work / "serve.log", workers=True, env=env)
        server.wait_ready()
        cookies = login(server.url)
        with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT, cookies=cookies) as client:
            catalog_folder = new_project(client, "catalog")
            shoot_folder = new_project(client, "shoot")
        made = ingest(server, cookies, catalog_files, catalog_folder)
        names = sorted(made.names.values())
        print(f"catalog of {len(names)} photos ready")
        server.reset_peak()
        cpu_before = (_cpu_seconds(server.process.pid), _own_cpu_seconds())
        result: dict[str, Watch] = {}
        shoot = threading.Thread(
            target=lambda: result.setdefault(
                "shoot", ingest(server, cookies, shoot_files, shoot_folder)
            )
        )
        timings, errors, seconds = asyncio.run(
            under_load(
                server.url, args.clients, (catalog_folder, names), shoot, args.think_ms / 1000
            )
        )
        if "shoot" not in result:
            raise RuntimeError("the ingest under load did not finish")
        server_cpu = _cpu_seconds(server.process.pid) - cpu_before[0]
        client_cpu = _own_cpu_seconds() - cpu_before[1]
        peak = server.status("VmHWM")
        engine = "PostgreSQL" if args.postgres_url else "SQLite"
        count = sum(len(v) for v in timings.values())
        print(
            f"\n{args.clients} clients for {seconds:.1f} s ({count / seconds:.0f} requests/s, "
            f"{args.think_ms:g} ms mean pause) while {args.ingest} photos were ingested "
            f"({engine}, {len(names)} photos in the catalog)"
        )
        header = (
            f"{'request':<10} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}"
        )
        print(header)
        print("-" * len(header))
        for kind, values in sorted(timings.items()):
            ms = [v * 1000 for v in values]
            print(
                f"{kind:<10} {len(ms):>7} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.95):>8.1f} "
                f"{max(ms):>8.1f} {'<' + format(TARGETS_MS[kind], '.0f'):>8}"
            )
        print(f"errors: {dict(errors) or 'none'}")
        cores = os.cpu_count() or 1
        print(
            f"CPU over the run: server {server_cpu:.1f} s, these clients {client_cpu:.1f} s, "
            f"of {cores * seconds:.1f} s on {cores} cores"
        )
        print(f"server peak RSS during the run: {peak:.0f} MB" if peak else "")
    finally:
        if server is not None:
            server.stop()
        if database_url:
            drop_postgres(args.postgres_url, database_url)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
