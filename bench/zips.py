"""A zip download through a real server and socket, against the same files sent one by one.

    python bench/zips.py [--files 10] [--megabytes 100]

Makes `--files` photos whose originals are `--megabytes` MB of random bytes each. The limit,
measured in the same run: the same originals downloaded one by one through signed URLs from the
same live uvicorn server (a plain file sent over the same socket, with the files in the page cache
as the zip finds them). Then one zip of them all from `POST /api/photos/download-zip`, with its
throughput, the time to its first byte and the server process's memory growth while it streams.
Targets: at least 80 % of the one-by-one rate, the first byte within 0.5 s, memory growth under
50 MB whatever the total size. A plain read of the files is printed too, for scale.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import io
import os
import tempfile
import time

for _name in list(os.environ):
    if _name.startswith("CONTACTSHEET_"):
        del os.environ[_name]
os.environ["CONTACTSHEET_CONFIG"] = "/nonexistent/contactsheet.toml"

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402

from contactsheet.app import create_app  # noqa: E402
from contactsheet.auth.bootstrap import ensure_admin_password  # noqa: E402
from contactsheet.config import Settings  # noqa: E402
from contactsheet.runtime import open_runtime  # noqa: E402
from tests.livesrv import live_server  # noqa: E402

PASSWORD = "bench password 1"
CHUNK = 1024 * 1024


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cs-bench-zip-") as folder:
        settings = Settings(
            data=Path(folder) / "data",
            pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
        )
        runtime = open_runtime(settings)
        ensure_admin_password(runtime.db, PASSWORD)
        with TestClient(create_app(runtime)) as admin:
            admin.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            admin.post("/api/projects", json={"name": "Bench"})
            files = [
                ("files", (f"B{i:03d}.JPG", _jpeg()[:-2] + bytes([i]) + b"\xff\xd9", "image/jpeg"))
                for i in range(args.files)
            ]
            assert admin.post("/api/projects/Bench/upload", files=files).status_code == 200
            cookies = {"cs_access": admin.cookies["cs_access"]}
            ids = [p["id"] for p in admin.get("/api/photos", params={"limit": 500}).json()["items"]]
        project = runtime.paths.project_dir("Bench")
        size = args.megabytes * 1024 * 1024
        for path in sorted(project.glob("*.JPG")):
            with path.open("ab") as handle:
                handle.write(os.urandom(size))
        total = sum(p.stat().st_size for p in project.glob("*.JPG"))

        began = time.perf_counter()
        for path in sorted(project.glob("*.JPG")):
            with path.open("rb") as handle:
                while handle.read(CHUNK):
                    pass
        plain = total / (time.perf_counter() - began)

        with (
            live_server(create_app(runtime)) as server,
            httpx.Client(base_url=server.url, cookies=cookies, timeout=600) as client,
        ):
            names = sorted(p.name for p in project.glob("*.JPG"))
            urls = [
                client.post("/api/projects/Bench/download-url", json={"filename": n}).json()["url"]
                for n in names
            ]
            began = time.perf_counter()
            sent = 0
            for url in urls:
                with client.stream("GET", url) as response:
                    assert response.status_code == 200
                    for chunk in response.iter_bytes(CHUNK):
                        sent += len(chunk)
            one_by_one = sent / (time.perf_counter() - began)
            before = _rss()
            peak = before
            began = time.perf_counter()
            first = None
            received = 0
            with client.stream(
                "POST", "/api/photos/download-zip", json={"photo_ids": ids}
            ) as response:
                assert response.status_code == 200, response.read()
                for chunk in response.iter_bytes(CHUNK):
                    if first is None:
                        first = time.perf_counter() - began
                    received += len(chunk)
                    peak = max(peak, _rss())
            zipped = received / (time.perf_counter() - began)
        runtime.close()

    mb = 1024 * 1024
    print(f"\n{args.files} originals, {total / mb:,.0f} MB in all")
    print(f"{'':<34}{'measured':>12}   target")
    print(f"{'plain read from the page cache':<34}{plain / mb:>9,.0f} MB/s   (for scale)")
    print(f"{'one by one through the server':<34}{one_by_one / mb:>9,.0f} MB/s   (the limit)")
    print(
        f"{'one zip through the server':<34}{zipped / mb:>9,.0f} MB/s   >= 80 % of one by one "
        f"({zipped / one_by_one:.0%})"
    )
    print(f"{'first byte after':<34}{first or 0:>10.3f} s   < 0.5 s")
    print(f"{'memory growth while streaming':<34}{(peak - before) / mb:>9,.1f} MB   < 50 MB")


if __name__ == "__main__":
    main()
