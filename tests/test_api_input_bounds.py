"""Hostile input the API fuzzer found: integers past what the database stores (SQLite overflows
past 64 bits, PostgreSQL's `integer` ids past 32), malformed multipart bodies. Each is a 400 with
the JSON error body, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.api.guard import ACCESS_COOKIE
from contactsheet.api.params import ID_MAX
from contactsheet.api.tus import TUS_PREFIX
from tests.conftest import login

HUGE = [2**31, 2**63, 2**64 + 7, -(2**63) - 1]
TOO_BIG = ID_MAX + 1


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """Logged in, and a server error comes back as the 500 a client sees, not as an exception."""
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client)
        yield client


@pytest.fixture
def folder(api: TestClient) -> str:
    response = api.post("/api/projects", json={"name": "Bounds"})
    assert response.status_code == 201, response.text
    return str(response.json()["folder"])


def assert_invalid(response: Any) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["code"] == "invalid_input" and body["error"]["message"], body


@pytest.mark.parametrize("value", HUGE)
def test_huge_job_ids_are_refused(api: TestClient, value: int) -> None:
    assert_invalid(api.get("/api/jobs", params={"before": value}))
    assert_invalid(api.get(f"/api/jobs/{value}"))
    assert_invalid(api.post(f"/api/jobs/{value}/cancel"))
    assert_invalid(api.post(f"/api/jobs/{value}/retry"))


BULK = [
    ("/api/photos/keep", {"keep_jpg": True}),
    ("/api/photos/tags/add", {"tags": ["a"]}),
    ("/api/photos/tags/remove", {"tags": ["a"]}),
    ("/api/photos/visibility", {"visibility": "public"}),
    ("/api/photos/rating", {"rating": 3}),
    ("/api/photos/pick", {"pick": "picked"}),
    ("/api/photos/move", {"dest_folder": "nowhere"}),
    ("/api/photos/process", {}),
]


@pytest.mark.parametrize(("path", "extra"), BULK, ids=[path for path, _ in BULK])
def test_huge_photo_ids_in_bulk_bodies_are_refused(
    api: TestClient, path: str, extra: dict[str, Any]
) -> None:
    for value in HUGE:
        assert_invalid(api.post(path, json={"items": [{"photo_id": value}], **extra}))


def test_huge_photo_ids_elsewhere_are_refused(api: TestClient, folder: str) -> None:
    for value in HUGE:
        assert_invalid(api.get("/api/photos/locate-page", params={"photo_id": value}))
        assert_invalid(
            api.post(
                f"/api/projects/{folder}/tasks",
                json={"task_type": "generate_derivatives", "items": [{"photo_id": value}]},
            )
        )
        assert_invalid(api.post("/api/trash/restore", json={"ids": [value]}))


def test_the_largest_id_is_accepted_and_found_nowhere(api: TestClient, folder: str) -> None:
    largest = TOO_BIG - 1
    response = api.get(f"/api/jobs/{largest}")
    assert response.status_code == 404, response.text
    response = api.post("/api/photos/rating", json={"items": [{"photo_id": largest}], "rating": 1})
    assert response.status_code == 200, response.text
    assert response.json()["failed"] == [{"photo_id": largest, "error": "no such photo"}]
    response = api.get("/api/photos/locate-page", params={"photo_id": largest})
    assert response.status_code == 400 and "not in this listing" in response.text
    response = api.post("/api/trash/restore", json={"ids": [largest]})
    assert response.status_code == 200, response.text
    assert [f["id"] for f in response.json()["failed"]] == [largest]


def _integers(node: Any, where: str, schemas: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            yield from _integers(schemas[name], f"{where}->{name}", schemas)
            return
        if node.get("type") == "integer":
            yield where, node
        nested = {"properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"}
        for key, value in node.items():
            # Below "properties" every key is a field name, whatever it is called.
            if key in nested or (isinstance(value, dict) and where.endswith(".properties")):
                yield from _integers(value, f"{where}.{key}", schemas)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integers(value, f"{where}[{index}]", schemas)


def test_every_integer_the_api_accepts_is_bounded(api: TestClient) -> None:
    """A route added tomorrow cannot take an integer the database's id columns cannot hold."""
    document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded = []
    for path, operations in document["paths"].items():
        if path.startswith(TUS_PREFIX):
            # The tus protocol's own byte counts (Upload-Length, Upload-Offset), checked by the
            # tus server against the file and the size limit; no id, nothing stored as one.
            continue
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            found = [
                (f"{label} {p['in']} {p['name']}", p["schema"])
                for p in operation.get("parameters", [])
            ]
            for media in operation.get("requestBody", {}).get("content", {}).values():
                found.append((f"{label} body", media.get("schema", {})))
            for where, schema in found:
                for place, integer in _integers(schema, where, schemas):
                    low = integer.get("minimum", integer.get("exclusiveMinimum"))
                    high = integer.get("maximum", integer.get("exclusiveMaximum"))
                    if low is None or high is None or low < -ID_MAX - 1 or high > ID_MAX:
                        unbounded.append(place)
    assert unbounded == []


MALFORMED = {
    "no opening boundary": b"this is not multipart at all",
    "header without a colon": b"--XyZ\r\nnot a header line\r\n\r\ndata\r\n--XyZ--\r\n",
    "bad character after the boundary": b"--XyZ\x00\r\nContent-Disposition: form-data\r\n\r\n",
    "bad line ending in the headers": b"--XyZ\r\nContent-Disposition: form-data\rX\r\n\r\nx",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_multipart_body_is_400_and_leaves_nothing(
    api: TestClient, folder: str, body: bytes, app: FastAPI
) -> None:
    response = api.post(
        f"/api/projects/{folder}/upload",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert_invalid(response)
    project_dir = app.state.runtime.paths.project_dir(folder)
    assert [p.name for p in project_dir.iterdir() if p.name.startswith(".upload")] == []


def _raw_get(app: FastAPI, cookies: dict[str, str], path: str, headers: dict[str, bytes]) -> Any:
    """Headers go out as the bytes given: Starlette's TestClient re-encodes them as UTF-8."""

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=cookies
        ) as client:
            return await client.get(path, headers=headers)

    return anyio.run(get)


@pytest.mark.parametrize("header", ["²", "1³"])
def test_a_last_event_id_of_other_digits_is_refused(
    api: TestClient, app: FastAPI, header: str
) -> None:
    """Headers are latin-1, which has "¹²³": str.isdigit() says yes, int() says no."""
    cookies = {ACCESS_COOKIE: api.cookies[ACCESS_COOKIE]}
    headers = {"Last-Event-ID": header.encode("latin-1")}
    assert_invalid(_raw_get(app, cookies, "/api/events", headers))


def test_an_event_id_past_the_database_is_refused(api: TestClient) -> None:
    headers = {"Last-Event-ID": str(TOO_BIG)}
    assert_invalid(api.get("/api/events", headers=headers))
    assert_invalid(api.get("/api/events", params={"last_event_id": TOO_BIG}))


def test_a_nul_in_a_name_or_filter_is_refused(api: TestClient, folder: str) -> None:
    """PostgreSQL text can neither hold nor be compared with a NUL: it was a 500 there."""
    for route in ("thumbnail", "preview", "image"):
        assert_invalid(api.get(f"/api/projects/{folder}/{route}/IMG%00_1"))
    listings = [f"/api/projects/{folder}/photos", "/api/photos", "/api/photos/all-keys"]
    for path in listings:
        assert_invalid(api.get(path, params={"tags": "red,bl\x00ue"}))
    assert_invalid(api.get("/api/photos/locate-page", params={"photo_id": 1, "tags": "\x00"}))
    assert_invalid(api.get("/api/jobs", params={"type": ["generate_derivatives", "x\x00"]}))
