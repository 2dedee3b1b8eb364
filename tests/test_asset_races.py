"""Thumbnail, preview and image requests that lose a race: the photo, its project or its file goes
away after the route has looked the photo up. Each answers a JSON 404 (or serves what is still
there), never a 500.

The race is made deterministic by running the real deletion (the project delete task, a commit,
a file removed from disk) right after the route's real lookup returns."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.api import assets
from contactsheet.catalog.projects import delete_project
from contactsheet.runtime import Runtime
from tests.conftest import login
from tests.derivsupport import (
    create_project,
    decoded,
    derivative_file,
    distinct_jpegs,
    run_jobs,
    upload,
)

FILES = distinct_jpegs(2, 320, 240)
NAME = FILES[0][0].rsplit(".", 1)[0]
ROUTES = ("thumbnail", "preview", "image")


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """A server error comes back as the 500 a client sees, not as an exception in the test."""
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client)
        yield client


@pytest.fixture
def folder(api: TestClient, runtime: Runtime) -> str:
    name = create_project(api, "Races")
    upload(api, name, FILES)
    run_jobs(runtime)  # thumbnails and previews made, so every route has a file to open
    return name


def after_lookup(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run `action` once, just after the route has found the photo's id."""
    lookup = assets.photo_named
    done = []

    def racing(runtime: Runtime, folder: str, basename: str) -> int:
        photo_id = lookup(runtime, folder, basename)
        if not done:
            done.append(True)
            action()
        return photo_id

    monkeypatch.setattr(assets, "photo_named", racing)


def assert_not_found(response: object) -> None:
    assert response.status_code == 404, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] in {"photo_not_found", "project_not_found"}, error
    assert error["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_project_deleted_after_the_lookup_is_404(
    api: TestClient, runtime: Runtime, folder: str, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def delete() -> None:
        delete_project(runtime.db, runtime.queue, runtime.tenant, folder)
        run_jobs(runtime)  # the folder leaves the library and the photo rows go
        assert not runtime.paths.project_dir(folder).exists()

    after_lookup(monkeypatch, delete)
    assert_not_found(api.get(f"/api/projects/{folder}/{route}/{NAME}"))


@pytest.mark.parametrize("route", ROUTES)
def test_a_project_hidden_after_the_lookup_is_404(
    api: TestClient, runtime: Runtime, folder: str, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted, its task not run yet: the rows and files are all still there, the project is not."""
    after_lookup(
        monkeypatch, lambda: delete_project(runtime.db, runtime.queue, runtime.tenant, folder)
    )
    assert_not_found(api.get(f"/api/projects/{folder}/{route}/{NAME}"))


@pytest.mark.parametrize("route", ROUTES)
def test_a_photo_committed_away_after_the_lookup_is_404(
    api: TestClient, runtime: Runtime, folder: str, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = api.get(f"/api/projects/{folder}/photos").json()["items"]
    photo_id = next(p["id"] for p in items if p["basename"] == NAME)
    response = api.post(
        "/api/photos/keep", json={"items": [{"photo_id": photo_id}], "keep_jpg": False}
    )
    assert response.json()["changed"] == [photo_id], response.text
    assert api.post(f"/api/projects/{folder}/commit-changes").status_code == 202

    def commit() -> None:
        run_jobs(runtime)  # its only file goes to the trash, and the row with it
        assert not (runtime.paths.project_dir(folder) / FILES[0][0]).exists()

    after_lookup(monkeypatch, commit)
    assert_not_found(api.get(f"/api/projects/{folder}/{route}/{NAME}"))
    # The neighbour is still served.
    neighbour = FILES[1][0].rsplit(".", 1)[0]
    assert api.get(f"/api/projects/{folder}/{route}/{neighbour}").status_code == 200


def test_an_original_removed_after_the_lookup_falls_back_to_the_preview(
    api: TestClient, runtime: Runtime, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = runtime.paths.project_dir(folder) / FILES[0][0]
    after_lookup(monkeypatch, original.unlink)
    response = api.get(f"/api/projects/{folder}/image/{NAME}")
    assert response.status_code == 200, response.text
    assert response.content == derivative_file(runtime, folder, NAME, "preview").read_bytes()
    decoded(response.content)


def test_an_original_and_its_derivatives_removed_after_the_lookup_is_a_clear_error(
    api: TestClient, runtime: Runtime, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo is still catalogued but nothing of it is left to show: the documented 422 naming
    the missing file (as when it was gone before the request), not a 500."""

    def remove() -> None:
        (runtime.paths.project_dir(folder) / FILES[0][0]).unlink()
        for kind in ("thumbnail", "preview"):
            derivative_file(runtime, folder, NAME, kind).unlink()

    after_lookup(monkeypatch, remove)
    response = api.get(f"/api/projects/{folder}/image/{NAME}")
    assert response.status_code == 422, response.text
    assert FILES[0][0] in response.json()["error"]["message"]


def test_an_original_that_became_a_fifo_falls_back_to_the_preview(
    api: TestClient, runtime: Runtime, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened without blocking and checked to be a regular file: a pipe never hangs the request."""
    original = runtime.paths.project_dir(folder) / FILES[0][0]

    def replace() -> None:
        original.unlink()
        os.mkfifo(original)

    after_lookup(monkeypatch, replace)
    response = api.get(f"/api/projects/{folder}/image/{NAME}")
    assert response.status_code == 200, response.text
    assert response.content == derivative_file(runtime, folder, NAME, "preview").read_bytes()
