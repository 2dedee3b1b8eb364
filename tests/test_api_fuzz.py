"""The API against a fuzzer: every operation of the app's own OpenAPI document, with cases
generated from it (documented examples, boundary and just-past-boundary values, then random ones,
valid and invalid), sent with the admin's session to the real app on a real database. Any 5xx
fails, and so does any answer the document does not describe (an undocumented status code,
content type or header, or a body that does not match its schema).

Left out: DELETE routes and `/api/auth/*` (they end the session or the data the other cases
work on) and `/api/events` (a stream that never ends). The routes a visitor reaches without a
session (`/shared/*`, signed downloads) are fuzzed a second time without it.

`API_FUZZ_EXAMPLES` raises the cases per operation (`make fuzz`); the default keeps the
module within a few minutes for the suite."""

from __future__ import annotations

import copy
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.python import asgi

from contactsheet.api.guard import ACCESS_COOKIE
from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.config import Settings
from contactsheet.runtime import open_runtime
from tests.conftest import ADMIN_PASSWORD, ENGINES, fresh_database_url, login
from tests.derivsupport import create_project, distinct_jpegs, upload

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
# Scenarios of up to 8 calls each; cheap next to the cases per operation.
STATEFUL_SCENARIOS = int(os.environ.get("API_FUZZ_SCENARIOS", str(3 * MAX_EXAMPLES)))

pytestmark = [pytest.mark.fuzz, pytest.mark.xdist_group("api-fuzz")]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            # Not `negative_data_rejection`: it reports each value Pydantic's lax mode coerces
            # (`0` for `false`, a number for a datetime), a leniency rather than an error.
        },
    }
)


def _settings(folder: Path, database_url: str) -> Settings:
    return Settings(
        data=folder,
        database_url=database_url,
        pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
        # One session for the whole campaign, however long `make fuzz` makes it.
        auth={"access_token_minutes": 24 * 60},  # type: ignore[arg-type]
        # The fuzzer repeats destructive and anonymous calls far faster than anyone would; the
        # limits have tests of their own (tests/test_hardening.py).
        sharing={  # type: ignore[arg-type]
            "anonymous_requests_per_minute": 10**6,
            "asset_requests_per_minute": 10**6,
            "destructive_requests_per_minute": 10**6,
            "upload_requests_per_minute": 10**6,
        },
    )


def _openapi_document() -> dict[str, Any]:
    """The app's own document, needed before any fixture exists to name the tests. FastAPI makes
    it from the routes alone: a throwaway data folder and an empty database will do."""
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(Path(folder), f"sqlite:///{folder}/openapi.sqlite")
        runtime = open_runtime(settings, migrate=False)
        try:
            return create_app(runtime).openapi()
        finally:
            runtime.close()


DOCUMENT = _openapi_document()
schema = (
    # A copy: Schemathesis writes the links it infers into the document it is given.
    schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG)
    .exclude(method="DELETE")
    .exclude(path_regex="^/api/auth/")
    .exclude(path="/api/events")
)


@dataclass
class Target:
    """The app under test, its admin session, and what was sent to it."""

    app: FastAPI
    cookies: dict[str, str]
    engine: str
    cases: int = 0
    steps: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def call(self, case: schemathesis.Case) -> None:
        self.cases += 1
        response = case.call_and_validate(app=self.app, cookies=self.cookies)
        self.count(response.status_code)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(scope="module", params=ENGINES)
def target(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_template: str | None,
    sqlite_template: Path,
) -> Iterator[Target]:
    """A library with one project of three photos, so ids 1…3 and the folder `Fuzz` exist."""
    folder = tmp_path_factory.mktemp("fuzz") / "data"
    urls = fresh_database_url(request.param, folder, pg_template, sqlite_template)
    runtime = open_runtime(_settings(folder, next(urls)))
    try:
        ensure_admin_password(runtime.db, ADMIN_PASSWORD)
        app = create_app(runtime)
        with TestClient(app) as client:
            # The cases were made from the document this very app serves.
            assert client.get("/openapi.json").json() == DOCUMENT
            login(client)
            upload(client, create_project(client, "Fuzz"), distinct_jpegs(3, 160, 120))
            cookies = {ACCESS_COOKIE: client.cookies[ACCESS_COOKIE]}
        started = time.monotonic()
        target = Target(app, cookies, request.param)
        yield target
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(target.statuses.items()))
        print(
            f"\nAPI fuzz on {request.param}: {target.cases} cases and {target.steps} stateful "
            f"steps in {time.monotonic() - started:.0f} s (statuses {statuses})"
        )
    finally:
        # The fuzzer's client started the app's lifespan (its event hub) on a thread of its own.
        asgi.shutdown_lifespans()
        runtime.close()
        next(urls, None)


@schema.parametrize()
@hypothesis.settings(
    deadline=None, suppress_health_check=list(hypothesis.HealthCheck), database=None
)
def test_operation(case: schemathesis.Case, target: Target) -> None:
    target.call(case)


# What a visitor without a session reaches: the shared galleries and signed downloads.
anonymous_schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG).include(
    path_regex="^/(shared/|api/downloads/)"
)


@anonymous_schema.parametrize()
@hypothesis.settings(
    deadline=None, suppress_health_check=list(hypothesis.HealthCheck), database=None
)
def test_anonymous_operation(case: schemathesis.Case, target: Target) -> None:
    target.cases += 1
    target.count(case.call_and_validate(app=target.app).status_code)


def test_sequences_of_operations(target: Target) -> None:
    """Schemathesis' stateful phase: chains of calls that feed one answer into the next request
    (a project created, then listed, renamed, uploaded to…), along the links it infers."""
    failures: list[Exception] = []
    scenarios = 0

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            nonlocal scenarios
            scenarios += 1

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"app": target.app, "cookies": target.cookies}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            target.steps += 1
            target.count(response.status_code)

        def step(self, input: Any) -> Any:
            try:
                return super().step(input)
            except Exception as exc:
                failures.append(exc)
                raise

    # Every scenario leaves its writes in the database, so the same draws can meet other answers
    # later and Hypothesis stops the run as "flaky". That says nothing about the API: go on with a
    # new run until the budget is spent. A real failure is reported as it happened (no shrinking:
    # a replay is not the run that failed).
    for _run in range(20):
        remaining = STATEFUL_SCENARIOS - scenarios
        if remaining <= 0:
            break
        try:
            Machine.run(
                settings=hypothesis.settings(
                    max_examples=remaining,
                    stateful_step_count=8,
                    deadline=None,
                    suppress_health_check=list(hypothesis.HealthCheck),
                    database=None,
                    phases=[hypothesis.Phase.generate],
                )
            )
        except hypothesis.errors.Flaky:
            if failures:
                raise failures[0] from None
        if failures:
            raise failures[0]
    print(f"\n{scenarios} stateful scenarios")
