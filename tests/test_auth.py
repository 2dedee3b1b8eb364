"""Admin login: cookies, signed short-lived tokens, refresh rotation, logout, brute-force limit."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.app import create_app
from contactsheet.auth.bootstrap import ensure_admin_password, load_or_create_secret_key
from contactsheet.auth.tokens import issue_access_token
from contactsheet.config import Settings
from contactsheet.runtime import Runtime, open_runtime
from tests.conftest import ADMIN_PASSWORD

LOGIN = "/api/auth/login"


def _login(client: TestClient, password: str = ADMIN_PASSWORD, **kwargs: object) -> httpx.Response:
    return client.post(LOGIN, json={"username": "admin", "password": password}, **kwargs)  # type: ignore[arg-type]


def _bare(app: FastAPI) -> TestClient:
    """A client with an empty cookie jar: every cookie it sends is passed explicitly."""
    return TestClient(app)


def _get_with(app: FastAPI, path: str, **cookies: str) -> httpx.Response:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return _bare(app).get(path, headers={"cookie": header})


def _post_with(app: FastAPI, path: str, **cookies: str) -> httpx.Response:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return _bare(app).post(path, headers={"cookie": header})


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"


def _session_id(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["sid"])


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_login_sets_http_only_strict_cookies(client: TestClient) -> None:
    response = _login(client)
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "admin"
    raw = response.headers.get_list("set-cookie")
    by_name = {header.split("=", 1)[0]: header for header in raw}
    assert set(by_name) == {"cs_access", "cs_refresh"}
    for header in by_name.values():
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert "httponly" in attributes
        assert "samesite=strict" in attributes
    assert "path=/" in by_name["cs_access"].lower()
    # Tokens never travel in a body a script could read.
    assert client.cookies["cs_access"] not in response.text
    assert client.cookies["cs_refresh"] not in response.text


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong password"), ("root", ADMIN_PASSWORD), ("Admin", ADMIN_PASSWORD), ("", "")],
)
def test_wrong_credentials_are_401(client: TestClient, username: str, password: str) -> None:
    response = client.post(LOGIN, json={"username": username, "password": password})
    _assert_401(response)
    assert "set-cookie" not in response.headers
    _assert_401(client.get("/api/projects"))


def test_malformed_login_is_400(client: TestClient) -> None:
    assert client.post(LOGIN, json={"username": "admin"}).status_code == 400
    assert (
        client.post(LOGIN, content=b"{", headers={"content-type": "application/json"}).status_code
        == 400
    )


def test_projects_need_the_cookie(client: TestClient) -> None:
    _assert_401(client.get("/api/projects"))
    assert _login(client).status_code == 200
    assert client.get("/api/projects").status_code == 200


def test_session_endpoint(client: TestClient) -> None:
    _assert_401(client.get("/api/auth/session"))
    _login(client)
    response = client.get("/api/auth/session")
    assert response.status_code == 200
    assert response.json()["username"] == "admin"
    assert 0 < response.json()["access_expires_in"] <= 15 * 60


def test_expired_access_token_is_refused(
    app: FastAPI, runtime: Runtime, client: TestClient
) -> None:
    _login(client)
    sid = _session_id(client.cookies["cs_access"])
    expired = issue_access_token(runtime.secret_key, "admin", sid, timedelta(seconds=-60))
    _assert_401(_get_with(app, "/api/projects", cs_access=expired))
    _assert_401(_get_with(app, "/api/auth/session", cs_access=expired))
    # The same recipe with a future expiry works, so it is the expiry that was refused.
    fresh = issue_access_token(runtime.secret_key, "admin", sid, timedelta(minutes=5))
    assert _get_with(app, "/api/projects", cs_access=fresh).status_code == 200


def test_tampered_tokens_are_refused(app: FastAPI, runtime: Runtime, client: TestClient) -> None:
    _login(client)
    token = client.cookies["cs_access"]
    assert _get_with(app, "/api/projects", cs_access=token).status_code == 200
    header, payload, signature = token.split(".")

    middle = len(signature) // 2
    flipped = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    other_key = issue_access_token(
        "another-key-" + "x" * 40, "admin", claims["sid"], timedelta(minutes=5)
    )
    none_alg = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    forged_payload = _b64(
        {**claims, "sid": claims["sid"], "sub": "admin", "exp": claims["exp"] + 3600}
    )
    for bad in (
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.",
        f"{header}.{forged_payload}.{signature}",
        other_key,
        none_alg,
        f"{_b64({'alg': 'HS512', 'typ': 'JWT'})}.{payload}.{signature}",
        "garbage",
        "",
    ):
        _assert_401(_get_with(app, "/api/projects", cs_access=bad))


def test_token_for_an_unknown_session_is_refused(app: FastAPI, runtime: Runtime) -> None:
    token = issue_access_token(runtime.secret_key, "admin", 424242, timedelta(minutes=5))
    _assert_401(_get_with(app, "/api/projects", cs_access=token))


def test_refresh_rotates_the_refresh_token(app: FastAPI, client: TestClient) -> None:
    _login(client)
    old_access, old_refresh = client.cookies["cs_access"], client.cookies["cs_refresh"]
    response = client.post("/api/auth/refresh")
    assert response.status_code == 200, response.text
    new_refresh = client.cookies["cs_refresh"]
    assert new_refresh != old_refresh
    assert client.cookies["cs_access"]
    assert client.get("/api/projects").status_code == 200

    _assert_401(_post_with(app, "/api/auth/refresh", cs_refresh=old_refresh))
    _assert_401(_post_with(app, "/api/auth/refresh"))
    _assert_401(_post_with(app, "/api/auth/refresh", cs_refresh="made-up"))
    _assert_401(_post_with(app, "/api/auth/refresh", cs_refresh=old_access))
    # The new one works (once) after the old one was refused.
    assert _post_with(app, "/api/auth/refresh", cs_refresh=new_refresh).status_code == 200
    _assert_401(_post_with(app, "/api/auth/refresh", cs_refresh=new_refresh))


def test_logout_ends_both_tokens(app: FastAPI, client: TestClient) -> None:
    _login(client)
    access, refresh = client.cookies["cs_access"], client.cookies["cs_refresh"]
    response = client.post("/api/auth/logout")
    assert response.status_code == 200
    cleared = response.headers.get_list("set-cookie")
    assert any(c.startswith("cs_access=") for c in cleared)
    assert any(c.startswith("cs_refresh=") for c in cleared)

    _assert_401(_get_with(app, "/api/projects", cs_access=access))
    _assert_401(_get_with(app, "/api/auth/session", cs_access=access))
    _assert_401(_post_with(app, "/api/auth/refresh", cs_refresh=refresh))
    _assert_401(client.get("/api/projects"))


def test_logout_leaves_other_sessions_alone(app: FastAPI, client: TestClient) -> None:
    other = _bare(app)
    _login(client)
    _login(other)
    client.post("/api/auth/logout")
    assert other.get("/api/projects").status_code == 200


def test_login_rate_limit(client: TestClient) -> None:
    for _ in range(10):
        _assert_401(_login(client, "wrong password"))
    response = _login(client)
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 300
    assert "set-cookie" not in response.headers
    _assert_401(client.get("/api/projects"))


def test_concurrent_wrong_passwords_cannot_pass_the_limit(app: FastAPI) -> None:
    # Thirty wrong passwords at once from one address: while the first ones are being checked
    # (argon2 takes milliseconds), the rest must already count against the limit.
    from concurrent.futures import ThreadPoolExecutor

    from tests.livesrv import live_server

    with live_server(app) as server:

        def attempt(_: int) -> int:
            body = {"username": "admin", "password": "wrong password"}
            return httpx.post(f"{server.url}/api/auth/login", json=body, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(attempt, range(30)))
        assert sorted(statuses) == [401] * 10 + [429] * 20, statuses
        right = {"username": "admin", "password": ADMIN_PASSWORD}
        assert httpx.post(f"{server.url}/api/auth/login", json=right).status_code == 429


def test_spoofed_forwarded_for_does_not_reset_the_limit(client: TestClient) -> None:
    for n in range(10):
        response = _login(client, "wrong password", headers={"x-forwarded-for": f"10.0.0.{n}"})
        _assert_401(response)
    for spoof in ("203.0.113.7", "127.0.0.1", "10.0.0.1, 198.51.100.2"):
        response = _login(client, headers={"x-forwarded-for": spoof, "x-real-ip": spoof})
        assert response.status_code == 429, response.text


def test_a_successful_login_resets_the_count(client: TestClient) -> None:
    for _ in range(9):
        _assert_401(_login(client, "wrong password"))
    assert _login(client).status_code == 200
    for _ in range(9):
        _assert_401(_login(client, "wrong password"))
    assert _login(client).status_code == 200


def test_signing_key_is_kept_in_the_data_folder(settings: Settings, runtime: Runtime) -> None:
    key_file = runtime.paths.secret_key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text(encoding="ascii").strip() == runtime.secret_key
    assert len(runtime.secret_key) >= 32
    # A restart signs with the same key, so a login survives it.
    client = _bare(create_app(runtime))
    _login(client)
    token = client.cookies["cs_access"]
    restarted = open_runtime(settings)
    try:
        assert restarted.secret_key == runtime.secret_key
        assert _get_with(create_app(restarted), "/api/projects", cs_access=token).status_code == 200
    finally:
        restarted.close()


@pytest.fixture
def proxied_app(settings: Settings) -> Iterator[FastAPI]:
    """The app behind a configured reverse proxy (the test client's peer address)."""
    proxied = Settings(
        data=settings.data,
        database_url=settings.database_url,
        auth={"trusted_proxies": ["testclient"]},  # type: ignore[arg-type]
    )
    runtime = open_runtime(proxied)
    ensure_admin_password(runtime.db, ADMIN_PASSWORD)
    yield create_app(runtime)
    runtime.close()


def test_trusted_proxy_limits_per_forwarded_client(proxied_app: FastAPI) -> None:
    client = _bare(proxied_app)
    for _ in range(10):
        _assert_401(_login(client, "wrong password", headers={"x-forwarded-for": "198.51.100.1"}))
    blocked = _login(client, headers={"x-forwarded-for": "198.51.100.1"})
    assert blocked.status_code == 429
    assert _login(client, headers={"x-forwarded-for": "198.51.100.2"}).status_code == 200


def _make_key_at_the_signal(path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put(load_or_create_secret_key(Path(path), None))
    except Exception as exc:
        results.put(f"error: {exc}")


def test_processes_starting_together_share_one_whole_signing_key(tmp_path: Path) -> None:
    # `serve` and `worker` started at once: each must get the same, complete key.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for round_ in range(15):
        path = tmp_path / f"round-{round_}" / "secret.key"
        barrier, results = context.Barrier(6), context.Queue()
        processes = [
            context.Process(target=_make_key_at_the_signal, args=(str(path), barrier, results))
            for _ in range(6)
        ]
        for process in processes:
            process.start()
        keys = {results.get(timeout=30) for _ in processes}
        for process in processes:
            process.join(30)
        assert len(keys) == 1, keys
        (key,) = keys
        assert not key.startswith("error") and len(key) >= 32
        assert path.read_text(encoding="ascii").strip() == key
        assert path.stat().st_mode & 0o777 == 0o600
        assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]
