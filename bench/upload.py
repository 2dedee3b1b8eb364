"""Ingest throughput: uploads over loopback against a real server, and `contactsheet import`.

Makes N files of the given size, each a real small JPEG (camera EXIF) followed by padding: ingest
checks names and magic bytes and reads EXIF, it does not decode, so the padding is carried like
image data. Then:

- starts `python -m contactsheet serve` as a subprocess on a fresh data folder, with workers and
  the scheduler off so only ingest is measured (derivative work would compete for the disk);
- uploads every file with httpx, streaming from disk: one file per request (as the web client
  does), the same with 4 requests in flight, and 20 files per request, each into its own project;
- first measures the disk's own rate: each file copied into the data folder, fsync'd, one after
  another (the limit every upload row is compared with: target 90 % for one file per request);
- reports MB/s and the server's peak RSS per run (VmHWM from /proc, reset between runs);
- runs `contactsheet import` of the same folder into another data folder, and reports MB/s and
  that process's peak RSS.

    .venv/bin/python bench/upload.py [--files 200] [--mb-per-file 10] [--keep] [--workdir DIR]

Every file is written with fsync before it counts as stored, so the disk bounds the result.
Needs about (3 + 2) x files x size of free space; refuses to start without it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-upload-password"
MB = 1024 * 1024
HTTP_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


@dataclass
class Row:
    mode: str
    files: int
    megabytes: float
    seconds: float
    peak_rss_mb: float | None
    note: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds if self.seconds else float("inf")


# -- sample files ----------------------------------------------------------------------------------


def make_files(folder: Path, count: int, size: int) -> list[Path]:
    from tests import imagefactory

    folder.mkdir(parents=True, exist_ok=True)
    head = imagefactory.jpeg(folder / ".head.jpg", 640, 480).read_bytes()
    (folder / ".head.jpg").unlink()
    block = os.urandom(MB)  # incompressible, so no layer below can cheat
    files = []
    for index in range(count):
        path = folder / f"BENCH_{index:05d}.JPG"
        with path.open("wb") as handle:
            handle.write(head)
            left = max(0, size - len(head))
            while left:
                chunk = block[: min(left, MB)]
                handle.write(chunk)
                left -= len(chunk)
        files.append(path)
    return files


# -- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTSHEET_")}
    env.update(
        {
            "CONTACTSHEET_CONFIG": "/nonexistent/contactsheet.toml",
            "CONTACTSHEET_DATA": str(data),
            "CONTACTSHEET_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class Server:
    """`contactsheet serve` on a fresh data folder; without workers and scheduler unless asked
    (`workers=True` runs the default configuration, as a user's server does)."""

    def __init__(
        self, data: Path, log: Path, *, workers: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = clean_env(data)
        self.env["CONTACTSHEET_ADMIN_PASSWORD"] = PASSWORD
        if not workers:
            self.env["CONTACTSHEET_PIPELINE__WORKERS_IN_SERVE"] = "false"
            self.env["CONTACTSHEET_PIPELINE__SCHEDULER_ENABLED"] = "false"
        self.env.update(env or {})
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contactsheet", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the server did not start")

    def status(self, key: str) -> float | None:
        """A memory figure of /proc/<pid>/status in MB (VmHWM: peak RSS, VmRSS: current)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux: `echo 5 > clear_refs`), so peaks are per run."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


# -- uploads ---------------------------------------------------------------------------------------


def login(url: str) -> httpx.Cookies:
    """The admin's session cookies."""
    with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as client:
        response = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        response.raise_for_status()
        return client.cookies


def new_project(client: httpx.Client, name: str) -> str:
    response = client.post("/api/projects", json={"name": name})
    response.raise_for_status()
    return str(response.json()["folder"])


def post_files(client: httpx.Client, folder: str, paths: list[Path]) -> int:
    """One multipart request; httpx streams each open file from disk in chunks."""
    handles = [path.open("rb") for path in paths]
    try:
        files = [
            ("files", (path.name, handle, "image/jpeg"))
            for path, handle in zip(paths, handles, strict=True)
        ]
        response = client.post(f"/api/projects/{folder}/upload", files=files)
    finally:
        for handle in handles:
            handle.close()
    if response.status_code != 200:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
    return int(response.json()["stored"])


def upload_run(
    server: Server,
    cookies: httpx.Cookies,
    files: list[Path],
    *,
    per_request: int,
    parallel: int,
    label: str,
) -> Row:
    with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT, cookies=cookies) as client:
        folder = new_project(client, f"bench {label}")
    batches = [files[i : i + per_request] for i in range(0, len(files), per_request)]
    clients = [
        httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT, cookies=cookies)
        for _ in range(parallel)
    ]
    reset = server.reset_peak()
    started = time.perf_counter()
    try:
        if parallel == 1:
            stored = sum(post_files(clients[0], folder, batch) for batch in batches)
        else:
            with ThreadPoolExecutor(parallel) as pool:
                futures = [
                    pool.submit(post_files, clients[i % parallel], folder, batch)
                    for i, batch in enumerate(batches)
                ]
                stored = sum(f.result() for f in futures)
    finally:
        for client in clients:
            client.close()
    seconds = time.perf_counter() - started
    if stored != len(files):
        raise RuntimeError(f"{label}: stored {stored} of {len(files)} files")
    total = sum(p.stat().st_size for p in files)
    peak = server.status("VmHWM")
    return Row(
        label, len(files), total / MB, seconds, peak, "" if reset else "peak since server start"
    )


# -- the disk's own rate ---------------------------------------------------------------------------


def disk_run(files: list[Path], target: Path) -> Row:
    """The limit: each file copied to the disk the server writes to, fsync'd, its folder fsync'd,
    one after another (what storing a file costs at the least)."""
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for path in files:
        copy = target / path.name
        with path.open("rb") as source, copy.open("wb") as out:
            shutil.copyfileobj(source, out, MB)
            out.flush()
            os.fsync(out.fileno())
        folder = os.open(target, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    seconds = time.perf_counter() - started
    total = sum(p.stat().st_size for p in files)
    shutil.rmtree(target)
    return Row("disk: copy + fsync per file (the limit)", len(files), total / MB, seconds, None)


# -- import ----------------------------------------------------------------------------------------


def import_run(source: Path, data: Path, log: Path) -> Row:
    env = clean_env(data)
    env["COLUMNS"] = "120"
    # Migrate the new data folder first, so the timed run is the import itself.
    subprocess.run(
        [sys.executable, "-m", "contactsheet", "db", "upgrade"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "contactsheet", "import", str(source), "--project", "import"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"import exited {process.returncode}; see {log}")
    files = [p for p in source.iterdir() if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    return Row(
        "contactsheet import (CLI, incl. start-up)",
        len(files),
        total / MB,
        seconds,
        usage.ru_maxrss / 1024,
        "peak RSS of the import process",
    )


# -- main ------------------------------------------------------------------------------------------


def print_table(rows: list[Row], baseline_rss: float | None, disk: Row | None = None) -> None:
    """Each row with its share of the disk's own rate; the target is 90 % for one file per
    request."""
    header = (
        f"{'mode':<42} {'files':>6} {'MB':>8} {'s':>8} {'MB/s':>8} {'files/s':>8} "
        f"{'of disk':>8} {'peak RSS MB':>12}"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in ([disk] if disk else []) + rows:
        rss = f"{row.peak_rss_mb:.0f}" if row.peak_rss_mb is not None else "-"
        share = f"{row.mb_per_s / disk.mb_per_s:.0%}" if disk else "?"
        print(
            f"{row.mode:<42} {row.files:>6} {row.megabytes:>8.0f} {row.seconds:>8.2f} "
            f"{row.mb_per_s:>8.1f} {row.files / row.seconds:>8.1f} {share:>8} {rss:>12}"
            + (f"  ({row.note})" if row.note else "")
        )
    print("target: 1 file/request >= 90 % of the disk's rate")
    if baseline_rss is not None:
        print(f"\nserver RSS after start-up and login: {baseline_rss:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--mb-per-file", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=20, help="files per request in the batch run")
    parser.add_argument("--parallel", type=int, default=4, help="requests in flight (0: skip)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and data")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args()

    size = int(args.mb_per_file * MB)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cs-bench-upload-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = 3 + (1 if args.parallel > 1 else 0)  # source, uploads (each a copy), import
    needed = args.files * size * (runs + 1) * 1.05
    free = shutil.disk_usage(work).free
    if free < needed:
        print(
            f"needs {needed / 1e9:.1f} GB free in {work}, has {free / 1e9:.1f} GB; "
            "use fewer --files or a smaller --mb-per-file",
            file=sys.stderr,
        )
        return 2
    print(f"work folder {work}; {args.files} files x {args.mb_per_file:g} MB")
    server: Server | None = None
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        source = work / "source"
        files = make_files(source, args.files, size)
        print(f"made the files in {time.perf_counter() - started:.1f} s")
        disk = disk_run(files, work / "data-serve" / "disk-rate")
        print(f"disk: {disk.mb_per_s:.1f} MB/s")
        server = Server(work / "data-serve", work / "serve.log")
        server.wait_ready()
        cookies = login(server.url)
        baseline = server.status("VmRSS")
        plan = [("1 file/request", 1, 1)]
        if args.parallel > 1:
            plan.append((f"1 file/request, {args.parallel} in flight", 1, args.parallel))
        plan.append((f"{args.batch} files/request", args.batch, 1))
        for label, per_request, parallel in plan:
            row = upload_run(
                server, cookies, files, per_request=per_request, parallel=parallel, label=label
            )
            rows.append(row)
            print(f"{label}: {row.mb_per_s:.1f} MB/s")
        server.stop()
        server = None
        row = import_run(source, work / "data-import", work / "import.log")
        rows.append(row)
        print(f"import: {row.mb_per_s:.1f} MB/s")
        print_table(rows, baseline, disk)
        if args.json:
            print(json.dumps([{**row.__dict__, "mb_per_s": row.mb_per_s} for row in rows]))
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
