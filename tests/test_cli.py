"""The command line: `db upgrade`, `admin set-password`, and a real `serve` process end to end."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contactsheet.app import create_app
from contactsheet.cli import app as cli
from contactsheet.config import Settings
from contactsheet.db import Database
from contactsheet.db.migrate import current_revision, head_revision
from contactsheet.runtime import Runtime, open_runtime
from tests.conftest import ADMIN_PASSWORD, login

NEW_PASSWORD = "new-password-123"


pytestmark = pytest.mark.usefixtures("restore_logging")


def _run(args: list[str], data: Path, database_url: str | None, stdin: str | None = None) -> Result:
    env = {"CONTACTSHEET_DATA": str(data), "CONTACTSHEET_DATABASE_URL": database_url}
    return CliRunner().invoke(cli, args, input=stdin, env=env)


def _login_status(settings: Settings, password: str) -> int:
    """Log in through a freshly opened runtime and app, as a restarted server would."""
    runtime = open_runtime(settings)
    try:
        client = TestClient(create_app(runtime))
        response = client.post("/api/auth/login", json={"username": "admin", "password": password})
        return response.status_code
    finally:
        runtime.close()


def test_db_upgrade_prints_the_revision(data_dir: Path, database_url: str) -> None:
    result = _run(["db", "upgrade"], data_dir, database_url)
    assert result.exit_code == 0, result.output
    head = head_revision()
    assert head is not None
    assert head in result.output
    db = Database(database_url)
    try:
        assert current_revision(db) == head
    finally:
        db.dispose()
    # Again: still at head, nothing to do, no error.
    again = _run(["db", "upgrade"], data_dir, database_url)
    assert again.exit_code == 0, again.output
    assert head in again.output


def test_db_upgrade_defaults_to_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "library"
    result = _run(["db", "upgrade"], data, None)
    assert result.exit_code == 0, result.output
    assert "sqlite" in result.output
    assert (data / "db" / "user_0.sqlite").is_file()


def test_set_password_changes_it_and_ends_sessions(
    admin: TestClient, runtime: Runtime, settings: Settings, data_dir: Path, database_url: str
) -> None:
    assert admin.get("/api/projects").status_code == 200
    result = _run(
        ["admin", "set-password", "--stdin"], data_dir, database_url, stdin=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 open session" in result.output
    assert NEW_PASSWORD not in result.output

    # The session that was open is over, on the server that was already running.
    response = admin.get("/api/projects")
    assert response.status_code == 401, response.text
    assert admin.post("/api/auth/refresh").status_code == 401

    assert _login_status(settings, NEW_PASSWORD) == 200
    assert _login_status(settings, ADMIN_PASSWORD) == 401
    # The running server reads the new hash too.
    login(admin, NEW_PASSWORD)
    assert admin.get("/api/projects").status_code == 200


@pytest.mark.parametrize("stdin", ["short\n", "\n", "", "1234567\n"])
def test_too_short_password_is_refused(
    admin: TestClient, settings: Settings, data_dir: Path, database_url: str, stdin: str
) -> None:
    result = _run(["admin", "set-password", "--stdin"], data_dir, database_url, stdin=stdin)
    assert result.exit_code != 0, result.output
    assert "8" in result.output
    # Nothing changed: the old password still works and the open session is still open.
    assert admin.get("/api/projects").status_code == 200
    assert _login_status(settings, ADMIN_PASSWORD) == 200


def test_invalid_configuration_exits_with_an_error(tmp_path: Path) -> None:
    env = {"CONTACTSHEET_DATA": str(tmp_path), "CONTACTSHEET_PORT": "not-a-port"}
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert result.exit_code == 2, result.output
    assert "Configuration error" in result.output


# --- a real server process -------------------------------------------------------------------

PASSWORD_LINE = re.compile(r"password\s+([A-Za-z0-9_\-]{12,})")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python -m contactsheet serve` in a subprocess, its stdout read by a thread."""

    def __init__(self, tmp_path: Path, data: Path, name: str) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTSHEET_")}
        env |= {
            "CONTACTSHEET_DATA": str(data),
            "CONTACTSHEET_CONFIG": str(tmp_path / "no-config.toml"),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        self.stderr = (tmp_path / f"{name}.stderr").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contactsheet", "serve", "--port", str(self.port)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def read_until(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"server exited: {self.diagnostics()}"
                continue
            self.output.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError(
            f"{pattern.pattern!r} not printed in {timeout} s: {self.diagnostics()}"
        )

    def drain(self) -> str:
        while True:
            try:
                self.output.append(self.lines.get_nowait())
            except queue.Empty:
                return "".join(self.output)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited: {self.diagnostics()}"
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"no /api/health within {timeout} s: {self.diagnostics()}")

    def terminate(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s after SIGTERM") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.stderr.close()

    def diagnostics(self) -> str:
        self.stderr.flush()
        log = Path(self.stderr.name).read_text(errors="replace")[-3000:]
        return f"\nstdout:\n{self.drain()}\nstderr:\n{log}"


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[object]:
    servers: list[Server] = []

    def start(data: Path, name: str) -> Server:
        server = Server(tmp_path, data, name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_serve_end_to_end(tmp_path: Path, start_server: object) -> None:
    data = tmp_path / "data"
    server: Server = start_server(data, "first")  # type: ignore[operator]
    password = server.read_until(PASSWORD_LINE, timeout=60)[1]
    server.wait_healthy()

    with httpx.Client(base_url=server.base_url, timeout=10) as anonymous:
        response = anonymous.get("/api/projects")
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "not_authenticated"

    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        response = browser.post("/api/auth/login", json={"username": "admin", "password": password})
        assert response.status_code == 200, response.text
        created = browser.post("/api/projects", json={"name": "Wedding 2026"})
        assert created.status_code == 201, created.text
        assert created.json()["folder"] == "Wedding 2026"
        listed = browser.get("/api/projects").json()["items"]
        assert [p["name"] for p in listed] == ["Wedding 2026"]

    project = data / "projects" / "user_0" / "Wedding 2026"
    assert {".thumb", ".preview", ".trash", ".project.yaml"} <= {p.name for p in project.iterdir()}
    assert (data / "db" / "user_0.sqlite").is_file()

    code = server.terminate(timeout=15)
    assert code == 0, f"exit code {code}: {server.diagnostics()}"

    # A second start on the same library keeps the password and does not print one.
    again: Server = start_server(data, "second")  # type: ignore[operator]
    again.wait_healthy()
    time.sleep(0.5)
    output = again.drain()
    assert "Contact Sheet is starting" in output
    assert password not in output
    assert not PASSWORD_LINE.search(output), output
    with httpx.Client(base_url=again.base_url, timeout=10) as browser:
        response = browser.post("/api/auth/login", json={"username": "admin", "password": password})
        assert response.status_code == 200, response.text
        assert [p["name"] for p in browser.get("/api/projects").json()["items"]] == ["Wedding 2026"]
    assert again.terminate(timeout=15) == 0
