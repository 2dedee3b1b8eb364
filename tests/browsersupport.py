"""Browser tests: a real server (workers running) on a real socket, driven by Playwright in
Debian's headless Chromium. Each test gets its own data folder and database, a logged-in page,
and fails on any console error; a failing test leaves a screenshot under
`test-artifacts/screenshots/`. Loaded by conftest.py as a plugin; not a test module."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.config import Settings
from contactsheet.pipeline import Pipeline
from contactsheet.runtime import Runtime, open_runtime
from tests.livesrv import LiveServer
from tests.pipelinesupport import wait_for

CHROMIUM = os.environ.get("CONTACTSHEET_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "correct horse battery"
# Two cores run the server, its workers and Chromium at once (and CI runs two tests at a time):
# what the page shows may take longer than Playwright's default 5 s to appear.
EXPECT_TIMEOUT_MS = 15_000
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
# Workers that notice queued jobs at once, as a real server does within its poll interval.
WEB_PIPELINE: dict[str, Any] = {
    "scheduler_enabled": False,
    "workers_in_serve": True,
    "heartbeat_ms": 200,
    "poll_interval_ms": 50,
}


@dataclass
class WebApp:
    """The server under test: its address, its runtime, and an HTTP client logged in as admin
    (for arranging what the test needs without going through the page)."""

    url: str
    runtime: Runtime
    http: httpx.Client
    console_errors: list[str] = field(default_factory=list)

    def project(self, name: str) -> str:
        response = self.http.post("/api/projects", json={"name": name})
        response.raise_for_status()
        return str(response.json()["folder"])

    def upload(self, folder: str, *paths: Path) -> dict[str, Any]:
        files = [
            ("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in paths
        ]
        response = self.http.post(f"/api/projects/{folder}/upload", files=files, timeout=60)
        response.raise_for_status()
        return dict(response.json())

    def photos(self, folder: str, **params: Any) -> list[dict[str, Any]]:
        response = self.http.get(f"/api/projects/{folder}/photos", params={"limit": 500, **params})
        response.raise_for_status()
        return list(response.json()["items"])


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); "
            "`.ci/run` installs it"
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web(data_dir: Path, database_url: str) -> Iterator[WebApp]:
    settings = Settings(data=data_dir, database_url=database_url, pipeline=WEB_PIPELINE)  # type: ignore[arg-type]
    runtime = open_runtime(settings)
    ensure_admin_password(runtime.db, PASSWORD)
    pipeline = Pipeline.from_settings(runtime)
    server = LiveServer(create_app(runtime, pipeline=pipeline))
    server.start()
    http = httpx.Client(base_url=server.url, timeout=30)
    http.post(
        "/api/auth/login", json={"username": "admin", "password": PASSWORD}
    ).raise_for_status()
    try:
        yield WebApp(server.url, runtime, http)
    finally:
        http.close()
        server.stop()
        # The app stops its workers on shutdown; should the server have been stopped by force,
        # they must still end before the database closes under them (and before the test's
        # captured output does).
        pipeline.stop()
        runtime.close()


def _watch_console(page: Any, errors: list[str]) -> None:
    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))


def new_page(chromium: Any, web: WebApp, *, logged_in: bool = True, **context_options: Any) -> Any:
    """A page in a fresh browser context (own cookies), logged in through the API unless asked
    not to. Console errors are collected in `web.console_errors`."""
    context_options.setdefault("viewport", {"width": 1280, "height": 800})
    context = chromium.new_context(base_url=web.url, **context_options)
    context.set_default_timeout(10_000)
    if logged_in:
        answer = context.request.post(
            f"{web.url}/api/auth/login", data={"username": "admin", "password": PASSWORD}
        )
        assert answer.ok, answer.text()
    page = context.new_page()
    _watch_console(page, web.console_errors)
    return page


AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def serious_violations(page: Any, *selectors: str) -> list[str]:
    """axe-core's serious and critical findings, in the whole page or inside these elements.
    Evaluated through the debugging protocol, so the page's strict policy stays on."""
    page.evaluate(AXE)
    result = page.evaluate(
        """async (include) => await axe.run(
            include.length ? {include: include.map((s) => [s])} : document)""",
        list(selectors),
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# How long the server's side of a browser test (a job, a file on disk) may take to follow.
SERVER_WAIT_SECONDS = 20.0


def wait_until(check: Callable[[], Any], what: str) -> Any:
    """The value of `check` once it is true; fails naming `what` after SERVER_WAIT_SECONDS."""
    return wait_for(check, SERVER_WAIT_SECONDS, what=what)


# Errors a test provokes on purpose (a refused request the UI then explains in words).
EXPECTED_ERRORS = re.compile(
    r"Failed to load resource: the server responded with a status of 4\d\d"
)


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: Any, web: WebApp) -> Iterator[Any]:
    page = new_page(chromium, web)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.context.close()
    unexpected = [e for e in web.console_errors if not EXPECTED_ERRORS.search(e)]
    if report is not None and report.passed:
        assert not unexpected, "console errors:\n" + "\n".join(unexpected)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
