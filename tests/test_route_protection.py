"""Every /api route needs the admin session, except /api/auth/*, /api/health and the signed
download URLs, which carry their own proof (docs/architecture.md, "Deny by default";
docs/security.md)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

PUBLIC = re.compile(r"^/api/(auth/.*|health|downloads/\{token\})$")
BODY_METHODS = {"POST", "PATCH", "PUT"}
EXPECTED_PROTECTED = {
    ("GET", "/api/projects"),
    ("POST", "/api/projects"),
    ("GET", "/api/projects/{folder}"),
    ("PATCH", "/api/projects/{folder}"),
    ("DELETE", "/api/projects/{folder}"),
}


def _fill(path: str, types: dict[str, str]) -> str:
    return re.sub(
        r"\{(\w+)(?::\w+)?\}", lambda m: "1" if types.get(m[1]) == "integer" else "x", path
    )


def _call(client: TestClient, method: str, url: str) -> httpx.Response:
    if method in BODY_METHODS:
        return client.request(method, url, json={})
    return client.request(method, url)


def _assert_401_json(response: httpx.Response, label: str) -> None:
    assert response.status_code == 401, f"{label} answered {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), label
    if label.startswith("HEAD "):
        return  # a HEAD answer carries the headers of the JSON error, but never a body
    error = response.json()["error"]
    assert error["code"] == "not_authenticated", label
    assert error["message"], label


def test_every_documented_api_route_needs_the_session(client: TestClient) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    checked: set[tuple[str, str]] = set()
    for path, operations in document.json()["paths"].items():
        if not path.startswith("/api") or PUBLIC.match(path):
            continue
        for method, operation in operations.items():
            method = method.upper()
            types = {
                p["name"]: p.get("schema", {}).get("type", "string")
                for p in operation.get("parameters", [])
                if p["in"] == "path"
            }
            url = _fill(path, types)
            _assert_401_json(_call(client, method, url), f"{method} {url}")
            checked.add((method, path))
    assert checked >= EXPECTED_PROTECTED, EXPECTED_PROTECTED - checked


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_any_api_path_is_denied_by_default(client: TestClient, method: str) -> None:
    # The gate is in front of routing: a route added tomorrow, or left out of the OpenAPI
    # document, is protected without anyone remembering to protect it.
    for path in ("/api/projects", "/api/not-a-route-yet", "/api/photos/1/delete", "/api/events"):
        _assert_401_json(_call(client, method, path), f"{method} {path}")


def test_a_download_url_without_a_valid_token_is_refused(client: TestClient) -> None:
    for token in ("x", "a.b.c", "x" * 1500):
        response = client.get(f"/api/downloads/{token}")
        assert response.status_code == 403, token
        assert response.json()["error"]["code"] == "forbidden"


def test_public_routes_stay_public(client: TestClient) -> None:
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert client.get("/openapi.json").status_code == 200
    assert client.post("/api/auth/logout").status_code == 200


def test_public_prefix_does_not_cover_lookalikes(client: TestClient) -> None:
    for path in ("/api/authx", "/api/auth", "/api/healthz", "/api/health/x", "/api"):
        _assert_401_json(client.get(path), path)


@pytest.mark.parametrize(
    "path",
    ["/api/projects/", "/api//projects", "/api/projects/x/", "/api/nope", "/api/projects/x/photos"],
)
def test_path_variants_are_protected_too(client: TestClient, path: str) -> None:
    _assert_401_json(client.get(path), path)


def test_a_bad_cookie_is_no_cookie(client: TestClient) -> None:
    for cookie in ("cs_access=", "cs_access=abc", 'cs_access="unterminated', "cs_refresh=x"):
        response = client.get("/api/projects", headers={"cookie": cookie})
        _assert_401_json(response, cookie)


def test_unknown_route_is_404_json(admin: TestClient) -> None:
    for path in ("/nope", "/api/nope", "/api/projects/x/y/z"):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert error["message"]


def test_unknown_route_outside_the_api_is_404_without_a_session(client: TestClient) -> None:
    response = client.get("/definitely/not/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_json(admin: TestClient) -> None:
    for method, path in (
        ("PUT", "/api/projects"),
        ("DELETE", "/api/projects"),
        ("PUT", "/api/health"),
    ):
        response = admin.request(method, path)
        assert response.status_code == 405, f"{method} {path}: {response.text}"
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == "method_not_allowed"
        assert error["message"]
        assert "allow" in {k.lower() for k in response.headers}
