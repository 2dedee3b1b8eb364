"""Where the server faces the internet (docs/security.md): security headers on every answer,
cookie-carrying writes only from our own pages, rate limits with Retry-After, CORS closed by
default, and error bodies that say nothing about where the server keeps its files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.api.errors import without_paths
from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password
from contactsheet.config import Settings
from contactsheet.runtime import Runtime, open_runtime
from tests.conftest import ADMIN_PASSWORD, login
from tests.derivsupport import create_project, distinct_jpegs, upload


def _app_with(settings: Settings, **overrides: Any) -> Iterator[FastAPI]:
    changed = Settings(
        data=settings.data,
        database_url=settings.database_url,
        pipeline=settings.pipeline,
        **overrides,
    )
    runtime = open_runtime(changed)
    ensure_admin_password(runtime.db, ADMIN_PASSWORD)
    yield create_app(runtime)
    runtime.close()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/health", "/api/projects", "/shared/" + "x" * 43, "/nothing"]
)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] in {"same-origin", "no-referrer"}
    assert "camera=()" in headers["permissions-policy"]
    assert headers["x-frame-options"] == "DENY"
    if headers["content-type"].startswith("text/html"):
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_images_carry_them_too(admin: TestClient) -> None:
    folder = create_project(admin, "Shoot")
    upload(admin, folder, distinct_jpegs(1, 64, 48))
    image = admin.get(f"/api/projects/{folder}/thumbnail/DSC05140")
    assert image.status_code == 200
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["cache-control"].startswith("private")


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # a script: no browser, its cookie is its own
        ({"origin": "http://testserver"}, True),
        ({"sec-fetch-site": "same-origin", "origin": "http://testserver"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "null"}, False),
        ({"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, False),
        ({"sec-fetch-site": "same-site", "origin": "http://photos.testserver"}, False),
        ({"sec-fetch-site": "cross-site"}, False),
        # Origin decides when a browser sends it, whatever else the request claims.
        ({"sec-fetch-site": "same-origin", "origin": "https://evil.example"}, False),
        ({"sec-fetch-site": "none", "origin": "https://evil.example"}, False),
        ({"origin": "http://testserver.evil.example"}, False),
        ({"origin": "http://user@testserver"}, False),
    ],
)
def test_a_write_with_the_session_cookie_must_come_from_our_origin(
    admin: TestClient, headers: dict[str, str], allowed: bool
) -> None:
    response = admin.post("/api/projects", json={"name": "Forged"}, headers=headers)
    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "cross_origin"
        assert "Forged" not in admin.get("/api/projects").text
    # Reads are never refused for it: a cross-site GET cannot change anything.
    assert admin.get("/api/projects", headers=headers).status_code == 200


def test_a_cross_site_form_cannot_download_or_log_in(admin: TestClient) -> None:
    evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    zipped = admin.post("/api/photos/download-zip", data={"photo_ids": "1"}, headers=evil)
    assert zipped.status_code == 403
    form_login = admin.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers=evil
    )
    assert form_login.status_code == 403


@pytest.fixture
def proxied(settings: Settings) -> Iterator[FastAPI]:
    yield from _app_with(settings, auth={"trusted_proxies": ["testclient"]})


def test_the_account_limit_holds_across_addresses(proxied: FastAPI) -> None:
    client = TestClient(proxied)
    wrong = {"username": "admin", "password": "wrong password"}
    for n in range(50):
        # Five addresses, ten tries each: none reaches its own limit of ten.
        address = {"x-forwarded-for": f"198.51.100.{n % 5 + 1}"}
        assert client.post("/api/auth/login", json=wrong, headers=address).status_code == 401
    blocked = client.post("/api/auth/login", json=wrong, headers={"x-forwarded-for": "203.0.113.9"})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


def test_the_eleventh_wrong_password_answers_429_whatever_x_forwarded_for_says(
    client: TestClient,
) -> None:
    wrong = {"username": "admin", "password": "wrong password"}
    for n in range(10):
        spoof = {"x-forwarded-for": f"10.1.{n}.1"}
        assert client.post("/api/auth/login", json=wrong, headers=spoof).status_code == 401
    eleventh = client.post("/api/auth/login", json=wrong, headers={"x-forwarded-for": "10.9.9.9"})
    assert eleventh.status_code == 429
    assert eleventh.json()["error"]["code"] == "rate_limited"


@pytest.fixture
def strict(settings: Settings) -> Iterator[FastAPI]:
    yield from _app_with(
        settings,
        sharing={
            "anonymous_requests_per_minute": 5,
            "destructive_requests_per_minute": 3,
            "upload_requests_per_minute": 2,
        },
    )


def test_anonymous_gallery_requests_are_limited_per_address(strict: FastAPI) -> None:
    client = TestClient(strict)
    statuses = [client.get(f"/shared/api/{'x' * 43}").status_code for _ in range(6)]
    assert statuses == [404] * 5 + [429]
    limited = client.get(f"/shared/api/{'x' * 43}")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 60
    # Signed downloads count as anonymous too.
    assert client.get("/api/downloads/x").status_code == 429


def test_destructive_requests_and_uploads_are_limited(strict: FastAPI) -> None:
    with TestClient(strict) as client:
        login(client)
        statuses = [client.delete("/api/projects/nothing").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        folder = create_project(client, "Uploads")
        for expected in (200, 200, 429):
            files = [("files", ("A.JPG", distinct_jpegs(1)[0][1], "image/jpeg"))]
            answer = client.post(f"/api/projects/{folder}/upload", files=files)
            assert answer.status_code == expected, answer.text


def test_refused_anonymous_requests_do_not_use_up_the_admins_budget(strict: FastAPI) -> None:
    with TestClient(strict) as client:
        for _ in range(10):
            assert client.delete("/api/projects/nothing").status_code == 401
        login(client)
        assert client.delete("/api/projects/nothing").status_code == 404


def test_cors_is_closed_unless_configured(client: TestClient) -> None:
    preflight = client.options(
        "/api/projects",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    answer = client.get("/api/health", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_an_allowed_origin_may_write(settings: Settings) -> None:
    for app in _app_with(settings, cors_origins=["https://ui.example"]):
        with TestClient(app) as client:
            login(client)
            answer = client.post(
                "/api/projects",
                json={"name": "From the other UI"},
                headers={"origin": "https://ui.example", "sec-fetch-site": "cross-site"},
            )
            assert answer.status_code == 201
            assert answer.headers["access-control-allow-origin"] == "https://ui.example"


def test_error_bodies_hold_no_server_paths(admin: TestClient, runtime: Runtime) -> None:
    root = str(runtime.settings.data)
    assert without_paths(f"path leaves the library: {root}/projects/x", runtime.settings.data) == (
        "path leaves the library: projects/x"
    )
    answers = [
        admin.get("/api/projects/..%2F..%2Fetc"),
        admin.get("/api/projects/%2e%2e/thumbnail/x"),
        admin.post("/api/projects", json={"name": "\x00"}),
        admin.post(
            "/api/projects", content=b"{not json", headers={"content-type": "application/json"}
        ),
        admin.get("/api/photos", params={"cursor": "garbage"}),
        admin.get("/shared/api/" + "x" * 43),
    ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, answer.text
        assert root not in answer.text
        assert "Traceback" not in answer.text and 'File "' not in answer.text
