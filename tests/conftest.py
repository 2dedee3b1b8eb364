"""Fixtures: real databases (SQLite always; PostgreSQL when CONTACTSHEET_TEST_DATABASE_URL is set),
a real data folder under pytest's tmp_path, and a real ASGI app. Nothing here touches a user's
data folder or configuration."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

# A developer's own settings must not leak into the tests.
for _name in list(os.environ):
    if _name.startswith("CONTACTSHEET_") and _name not in (
        "CONTACTSHEET_TEST_DATABASE_URL",
        "CONTACTSHEET_CORPUS",
        "CONTACTSHEET_CORPUS_ALL",
    ):
        del os.environ[_name]
os.environ["CONTACTSHEET_CONFIG"] = "/nonexistent/contactsheet.toml"

pytest_plugins = ["tests.browsersupport"]

from contactsheet.app import create_app  # noqa: E402
from contactsheet.auth.bootstrap import ensure_admin_password  # noqa: E402
from contactsheet.config import Settings  # noqa: E402
from contactsheet.db import Database  # noqa: E402
from contactsheet.db.migrate import upgrade  # noqa: E402
from contactsheet.logs import configure_logging  # noqa: E402
from contactsheet.runtime import Runtime, open_runtime  # noqa: E402

# Logging as `serve` runs it: a log record is only built at INFO, so a record that cannot be built
# (or a formatter that fails) must break the tests, not only production.
configure_logging("info", "text")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """A command run in the test points the root logger at its (captured) stderr: put the suite's
    logging back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


PG_URL = os.environ.get("CONTACTSHEET_TEST_DATABASE_URL")
ENGINES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
# A test that takes one of these works against a real database (and so runs once per engine);
# one that takes none of them is a unit test (real files and libraries, no database). `pytest -m
# unit` runs those alone, in under a minute.
DATABASE_FIXTURES = frozenset({"database_url", "runtime", "settings", "client", "admin"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        integration = fixtures & DATABASE_FIXTURES or item.get_closest_marker("fuzz")
        item.add_marker(pytest.mark.integration if integration else pytest.mark.unit)


ADMIN_PASSWORD = "correct horse battery"


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_admin(sql: str) -> None:
    assert PG_URL
    with psycopg.connect(_conninfo(PG_URL), autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE … TEMPLATE)."""
    if not PG_URL:
        yield None
        return
    name = f"cs_tmpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    upgrade(db)
    db.dispose()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies: migrating per test costs about a second."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def fresh_database_url(
    engine: str, folder: Path, template: str | None, sqlite_file: Path | None = None
) -> Iterator[str]:
    if engine == "sqlite":
        target = folder / "db" / "user_0.sqlite"
        if sqlite_file is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sqlite_file, target)
        yield f"sqlite:///{target}"
        return
    assert PG_URL and template
    name = f"cs_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None, sqlite_template: Path
) -> Iterator[str]:
    """An empty, migrated database on each engine in turn."""
    yield from fresh_database_url(request.param, tmp_path / "data", pg_template, sqlite_template)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data=data_dir,
        database_url=database_url,
        pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    ensure_admin_password(runtime.db, ADMIN_PASSWORD)
    yield runtime
    runtime.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def login(client: TestClient, password: str = ADMIN_PASSWORD) -> None:
    response = client.post("/api/auth/login", json={"username": "admin", "password": password})
    assert response.status_code == 200, response.text


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    """A client holding the admin's session cookies."""
    login(client)
    return client
