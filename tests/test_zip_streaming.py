"""Zips are streamed: a gigabyte of originals through a real server and socket costs the server
no memory to speak of, and a client that leaves halfway leaves no open file, no temporary file
and no busy thread behind (docs/sharing.md)."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.app import create_app
from contactsheet.runtime import Runtime
from tests.derivsupport import create_project, distinct_jpegs, upload
from tests.livesrv import live_server

FILES = 10
FILE_BYTES = 100 * 1024 * 1024  # ten of them: 1 GB


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _open_files_under(folder: Path) -> list[str]:
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def _ours(name: str) -> bool:
    """A temporary file a zip could have left: a spooled archive or one of our own."""
    return name.endswith(".zip") or name.startswith((".tmp-", ".upload-"))


def _everything_under(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")}


@pytest.fixture
def big_shoot(admin: TestClient, runtime: Runtime) -> tuple[list[int], Path]:
    """Ten photos whose originals are 100 MB each (sparse: the disk holds almost nothing)."""
    folder = create_project(admin, "Big")
    upload(admin, folder, distinct_jpegs(FILES, 64, 48))
    project_dir = runtime.paths.project_dir(folder)
    for path in project_dir.glob("*.JPG"):
        os.truncate(path, FILE_BYTES)
    ids = [item["id"] for item in admin.get("/api/photos", params={"limit": 100}).json()["items"]]
    return ids, project_dir


def _session_cookies(admin: TestClient) -> dict[str, str]:
    return {"cs_access": admin.cookies["cs_access"]}


def _served(runtime: Runtime) -> FastAPI:
    """An app of its own for the live server (the test client's runs its lifespan elsewhere)."""
    return create_app(runtime)


def test_a_gigabyte_zip_streams_in_constant_memory(
    runtime: Runtime, admin: TestClient, big_shoot: tuple[list[int], Path]
) -> None:
    ids, _ = big_shoot
    peak = 0
    with (
        live_server(_served(runtime)) as server,
        httpx.Client(base_url=server.url, cookies=_session_cookies(admin)) as client,
    ):
        before = _rss_bytes()
        began = time.monotonic()
        with client.stream(
            "POST", "/api/photos/download-zip", json={"photo_ids": ids}, timeout=120
        ) as response:
            assert response.status_code == 200
            expected = int(response.headers["content-length"])
            assert expected > FILES * FILE_BYTES
            received = 0
            first_byte_after = None
            for chunk in response.iter_bytes(1024 * 1024):
                if first_byte_after is None:
                    first_byte_after = time.monotonic() - began
                received += len(chunk)
                peak = max(peak, _rss_bytes())
        assert received == expected
    growth = peak - before
    print(
        f"\n1 GB zip: RSS growth {growth / 2**20:.1f} MB, first byte after {first_byte_after:.2f} s"
    )
    assert growth < 50 * 2**20, f"memory grew {growth / 2**20:.0f} MB while streaming"


def test_the_zip_is_a_valid_archive_of_the_originals(admin: TestClient, runtime: Runtime) -> None:
    folder = create_project(admin, "Small")
    upload(admin, folder, distinct_jpegs(3, 64, 48))
    ids = [item["id"] for item in admin.get("/api/photos").json()["items"]]
    answer = admin.post("/api/photos/download-zip", json={"photo_ids": ids})
    with tempfile.TemporaryFile() as spool:
        spool.write(answer.content)
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            assert archive.testzip() is None
            for name in archive.namelist():
                original = runtime.paths.project_dir(folder) / name
                assert archive.read(name) == original.read_bytes()


def test_a_client_that_leaves_halfway_leaves_nothing_behind(
    admin: TestClient,
    runtime: Runtime,
    big_shoot: tuple[list[int], Path],
) -> None:
    ids, project_dir = big_shoot
    temp_before = set(os.listdir(tempfile.gettempdir()))
    data_before = _everything_under(runtime.settings.data)
    threads_before = threading.active_count()
    with live_server(_served(runtime)) as server:
        with (
            httpx.Client(base_url=server.url, cookies=_session_cookies(admin)) as client,
            client.stream(
                "POST", "/api/photos/download-zip", json={"photo_ids": ids}, timeout=60
            ) as response,
        ):
            received = 0
            for chunk in response.iter_bytes(256 * 1024):
                received += len(chunk)
                if received >= 10 * 1024 * 1024:
                    break
            # Leaving the block closes the connection mid-body.
        deadline = time.monotonic() + 10
        while _open_files_under(project_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _open_files_under(project_dir) == [], "an original is still open"
        # The server still answers at once: no worker is stuck on the abandoned zip.
        with httpx.Client(base_url=server.url, cookies=_session_cookies(admin)) as client:
            assert client.get("/api/health", timeout=5).status_code == 200
    assert _everything_under(runtime.settings.data) == data_before
    new_temp = set(os.listdir(tempfile.gettempdir())) - temp_before
    assert not [name for name in new_temp if _ours(name)], new_temp
    deadline = time.monotonic() + 10
    while threading.active_count() > threads_before + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threading.active_count() <= threads_before + 1
