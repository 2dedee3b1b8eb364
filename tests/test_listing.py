"""Listing photos (docs/catalog.md):
keyset pagination both ways under every sort, filters against a Python model, signed cursors,
locate-page, all-keys and pending-deletes. Rows are inserted straight into the database."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import contactsheet.catalog.pages
from contactsheet.db.tables import Photo
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from tests.catalogsupport import (
    BASE_TIME,
    SORTS,
    TAG_NAMES,
    Catalog,
    build_catalog,
    error_code,
    get_ok,
    ids_of,
    model_listing,
    pending_model,
    walk_backward,
    walk_forward,
)

FILTER_SETS: list[dict[str, Any]] = [
    {},
    {"keep_type": "pending_delete", "file_type": "jpg+raw"},
    {"orientation": "portrait", "rating_min": 1, "tags": "bride,CAKE", "tags_mode": "any"},
]


@pytest.fixture
def catalog(runtime: Runtime) -> Catalog:
    return build_catalog(runtime, 1000)


@pytest.fixture
def small_catalog(runtime: Runtime) -> Catalog:
    return build_catalog(runtime, 150, seed=11)


def check_walk(
    admin: TestClient,
    url: str,
    params: dict[str, Any],
    expected: list[int],
    unfiltered: int,
) -> None:
    forward = walk_forward(admin, url, params)
    seen = ids_of(forward)
    assert seen == expected, params
    assert len(set(seen)) == len(seen)
    for page in forward:
        assert page["total"] == len(expected)
        assert page["unfiltered_total"] == unfiltered
        assert len(page["items"]) <= params["limit"]
    assert all(len(p["items"]) == params["limit"] for p in forward[:-1])
    for earlier, later in itertools.pairwise(forward):
        assert later["prev_cursor"] is not None
        assert earlier["next_cursor"] is not None
    backward = walk_backward(admin, url, params, forward[-1])
    assert ids_of(backward) == expected, params
    # The last forward page starts on a multiple of `limit`, so the pages line up both ways.
    assert [ids_of([p]) for p in backward] == [ids_of([p]) for p in forward]
    assert backward[0]["prev_cursor"] is None


@pytest.mark.parametrize("sort", SORTS)
def test_every_photo_once_forward_and_backward(
    admin: TestClient, catalog: Catalog, sort: str
) -> None:
    unfiltered = len(catalog.rows)
    assert unfiltered == 1000
    for direction in ("asc", "desc"):
        for filters in FILTER_SETS:
            params = {"sort": sort, "dir": direction, "limit": 73, **filters}
            expected = model_listing(catalog.rows, params)
            assert expected, filters  # the filter sets are not empty on this catalog
            check_walk(admin, "/api/photos", params, expected, unfiltered)
    # One project's listing: the same photos as All Photos limited to it.
    project_id, folder = next(iter(catalog.projects.items()))
    in_project = catalog.in_project(project_id)
    for direction in ("asc", "desc"):
        params = {"sort": sort, "dir": direction, "limit": 41, "keep_type": "any_kept"}
        expected = model_listing(in_project, params)
        check_walk(admin, f"/api/projects/{folder}/photos", params, expected, len(in_project))
        by_query = walk_forward(admin, "/api/photos", {**params, "project": folder})
        assert ids_of(by_query) == expected


def test_ties_and_case_are_really_there(catalog: Catalog) -> None:
    """The catalog exercises what it claims: many ties on every sort key, and basenames equal up
    to case in several projects (so the filename sort has ties too)."""
    for attr in ("taken_at", "file_size", "rating"):
        values = [getattr(r, attr) for r in catalog.rows]
        assert len(set(values)) < len(values) / 5, attr
    spellings: dict[str, set[str]] = {}
    for r in catalog.rows:
        spellings.setdefault(r.basename_key, set()).add(r.basename)
    keys = [r.basename_key for r in catalog.rows]
    assert len(set(keys)) < len(keys)
    assert sum(len(names) > 1 for names in spellings.values()) >= 5


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_filters_match_the_model(admin: TestClient, small_catalog: Catalog, data: Any) -> None:
    instants = [BASE_TIME + timedelta(minutes=m) for m in (-5, 0, 7, 13, 13.5, 39, 60)]
    # The same instants written in other offsets, or with "Z": the filter compares instants.
    zones = [timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30)), UTC]
    moment = st.builds(
        lambda t, zone: t.astimezone(zone).isoformat(),
        st.sampled_from(instants),
        st.sampled_from(zones),
    ) | st.sampled_from(instants).map(lambda t: t.isoformat().replace("+00:00", "Z"))
    params: dict[str, Any] = {
        "date_from": data.draw(st.none() | moment, "date_from"),
        "date_to": data.draw(st.none() | moment, "date_to"),
        "file_type": data.draw(st.sampled_from([None, "jpg", "raw", "jpg+raw", "both", "other"])),
        "keep_type": data.draw(
            st.sampled_from([None, "any_kept", "keep_jpg", "keep_raw", "none", "pending_delete"])
        ),
        "orientation": data.draw(st.sampled_from([None, "portrait", "landscape", "square"])),
        "visibility": data.draw(st.sampled_from([None, "public", "private"])),
        "rating_min": data.draw(st.none() | st.integers(0, 5)),
        "pick": data.draw(st.sampled_from([None, "picked", "rejected", "unflagged"])),
        "sort": data.draw(st.sampled_from(SORTS)),
        "dir": data.draw(st.sampled_from(["asc", "desc"])),
        "limit": 500,
    }
    tags = data.draw(st.lists(st.sampled_from([*TAG_NAMES, "bride", "nobody"]), max_size=3))
    if tags:
        params["tags"] = ",".join(tags)
        params["tags_mode"] = data.draw(st.sampled_from(["any", "all"]))
    body = get_ok(admin, "/api/photos", params)
    expected = model_listing(small_catalog.rows, params)
    assert [item["id"] for item in body["items"]] == expected
    assert body["total"] == len(expected)
    assert body["unfiltered_total"] == len(small_catalog.rows)
    assert body["next_cursor"] is None and body["prev_cursor"] is None


def test_orientation_swaps_for_exif_5_to_8(admin: TestClient, small_catalog: Catalog) -> None:
    turned = [
        r
        for r in small_catalog.rows
        if r.orientation in (5, 6, 7, 8) and (r.width, r.height) == (6000, 4000)
    ]
    upright = [
        r
        for r in small_catalog.rows
        if r.orientation in (None, 1, 3) and (r.width, r.height) == (6000, 4000)
    ]
    assert turned and upright
    portrait = {
        i["id"]
        for i in get_ok(admin, "/api/photos", {"orientation": "portrait", "limit": 500})["items"]
    }
    assert {r.id for r in turned} <= portrait
    assert not {r.id for r in upright} & portrait


def test_bad_requests_are_400_json(admin: TestClient, catalog: Catalog) -> None:
    first = get_ok(admin, "/api/photos", {"sort": "filename", "dir": "asc", "limit": 10})
    cursor = first["next_cursor"]
    assert cursor
    # A flipped character in the middle of the cursor: the signature no longer holds.
    middle = len(cursor) // 2
    flipped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    tampered_body = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    forged = tampered_body[:12] + tampered_body[12:].replace(b'"filename"', b'"size"    ')
    forged_cursor = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    for bad in (flipped, forged_cursor, "not-a-cursor", "A" * 40, cursor[:-6]):
        for name in ("cursor", "before_cursor"):
            response = admin.get(
                "/api/photos", params={"sort": "filename", "dir": "asc", "limit": 10, name: bad}
            )
            assert error_code(response, 400) == "invalid_cursor", bad
    # A genuine cursor from another sort or direction.
    for other in ({"sort": "size", "dir": "asc"}, {"sort": "filename", "dir": "desc"}):
        response = admin.get("/api/photos", params={**other, "limit": 10, "cursor": cursor})
        assert error_code(response, 400) == "invalid_cursor"
    both = admin.get(
        "/api/photos",
        params={"sort": "filename", "dir": "asc", "cursor": cursor, "before_cursor": cursor},
    )
    assert error_code(both, 400) == "invalid_input"
    for naive in ("2024-05-01T12:00:00", "2024-05-01"):
        for name in ("date_from", "date_to"):
            assert error_code(admin.get("/api/photos", params={name: naive}), 400)
    for limit in (0, -1, 501):
        assert error_code(admin.get("/api/photos", params={"limit": limit}), 400)
    for bad_filter in (
        {"file_type": "gif"},
        {"keep_type": "maybe"},
        {"orientation": "round"},
        {"rating_min": 6},
        {"pick": "perhaps"},
        {"visibility": "secret"},
        {"sort": "colour"},
        {"dir": "up"},
    ):
        assert error_code(admin.get("/api/photos", params=bad_filter), 400), bad_filter
    assert error_code(admin.get("/api/projects/nope/photos"), 404) == "project_not_found"


def test_include_tags(admin: TestClient, catalog: Catalog) -> None:
    body = get_ok(admin, "/api/photos", {"limit": 200, "include": "tags"})
    by_id = {r.id: r for r in catalog.rows}
    assert any(item["tags"] for item in body["items"])
    for item in body["items"]:
        names = item["tags"]
        assert {name_key(n) for n in names} == by_id[item["id"]].tags
        assert names == sorted(names, key=name_key)
    plain = get_ok(admin, "/api/photos", {"limit": 5})
    assert all("tags" not in item for item in plain["items"])
    item = plain["items"][0]
    row = by_id[item["id"]]
    assert item["project_folder"] == row.folder and item["basename"] == row.basename
    assert item["thumbnail_status"] == "pending" and item["preview_status"] == "pending"


def test_locate_page(admin: TestClient, runtime: Runtime, catalog: Catalog) -> None:
    for params in (
        {"sort": "filename", "dir": "asc", "limit": 50},
        {"sort": "taken_at", "dir": "desc", "limit": 64, "keep_type": "pending_delete"},
        {"sort": "rating", "dir": "asc", "limit": 500},
    ):
        expected = model_listing(catalog.rows, params)
        for position in (
            0,
            1,
            params["limit"] - 1,
            params["limit"],
            len(expected) // 2,
            len(expected) - 1,
        ):
            photo_id = expected[position]
            body = get_ok(admin, "/api/photos/locate-page", {**params, "photo_id": photo_id})
            assert body["position"] == position
            assert body["page_index"] == position // params["limit"]
            start = body["page_index"] * params["limit"]
            assert [i["id"] for i in body["items"]] == expected[start : start + params["limit"]]
            assert photo_id in [i["id"] for i in body["items"]]
            assert body["total"] == len(expected)
            # Its cursors continue the listing both ways.
            if body["next_cursor"]:
                after = get_ok(admin, "/api/photos", {**params, "cursor": body["next_cursor"]})
                assert after["items"][0]["id"] == expected[start + params["limit"]]
            if body["prev_cursor"]:
                before = get_ok(
                    admin, "/api/photos", {**params, "before_cursor": body["prev_cursor"]}
                )
                assert before["items"][-1]["id"] == expected[start - 1]
            else:
                assert start == 0
    # In a project's listing.
    project_id, folder = next(iter(catalog.projects.items()))
    params = {"sort": "size", "dir": "desc", "limit": 30}
    expected = model_listing(catalog.in_project(project_id), params)
    body = get_ok(
        admin, "/api/photos/locate-page", {**params, "photo_id": expected[77], "project": folder}
    )
    assert (body["position"], body["page_index"]) == (77, 2)
    # A photo outside the listing (filtered out, archived, unknown) is refused.
    hidden = next(
        r.id for r in catalog.rows if r.id not in model_listing(catalog.rows, {"rating_min": 5})
    )
    with runtime.db.read() as session:
        archived = session.scalar(
            select(Photo.id).where(Photo.project_id == catalog.archived_project_id).limit(1)
        )
    assert archived is not None
    for photo_id, narrow in ((hidden, {"rating_min": 5}), (archived, {}), (10**9, {})):
        response = admin.get("/api/photos/locate-page", params={"photo_id": photo_id, **narrow})
        assert error_code(response, 400) == "invalid_input"


def test_a_page_at_any_offset(admin: TestClient, catalog: Catalog) -> None:
    """A grid whose scrollbar is dragged anywhere asks for the page at that position; its cursors
    then continue the listing both ways, and a position past the end is an empty page."""
    for params in (
        {"sort": "taken_at", "dir": "desc", "limit": 40},
        {"sort": "filename", "dir": "asc", "limit": 25, "keep_type": "pending_delete"},
    ):
        expected = model_listing(catalog.rows, params)
        for offset in (0, 1, 39, len(expected) // 2, len(expected) - 3):
            body = get_ok(admin, "/api/photos", {**params, "offset": offset})
            assert [i["id"] for i in body["items"]] == expected[offset : offset + params["limit"]]
            assert body["total"] == len(expected)
            if offset:
                before = get_ok(
                    admin, "/api/photos", {**params, "before_cursor": body["prev_cursor"]}
                )
                assert before["items"][-1]["id"] == expected[offset - 1]
            else:
                assert body["prev_cursor"] is None
            if body["next_cursor"]:
                after = get_ok(admin, "/api/photos", {**params, "cursor": body["next_cursor"]})
                assert after["items"][0]["id"] == expected[offset + params["limit"]]
        beyond = get_ok(admin, "/api/photos", {**params, "offset": len(expected) + 5})
        assert beyond["items"] == [] and beyond["total"] == len(expected)
    project_id, folder = next(iter(catalog.projects.items()))
    expected = model_listing(catalog.in_project(project_id), {"sort": "size", "limit": 30})
    body = get_ok(
        admin, f"/api/projects/{folder}/photos", {"sort": "size", "limit": 30, "offset": 50}
    )
    assert [i["id"] for i in body["items"]] == expected[50:80]
    cursor = get_ok(admin, "/api/photos", {"limit": 5})["next_cursor"]
    both = admin.get("/api/photos", params={"offset": 3, "cursor": cursor})
    assert error_code(both, 400) == "invalid_input"
    assert error_code(admin.get("/api/photos", params={"offset": -1}), 400)


def test_all_keys(admin: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    for params in (
        {},
        {"sort": "filename", "dir": "asc"},
        {"sort": "size", "dir": "desc", "file_type": "jpg+raw", "keep_type": "pending_delete"},
        {"sort": "rating", "dir": "asc", "tags": "groom", "tags_mode": "all"},
    ):
        body = get_ok(admin, "/api/photos/all-keys", params)
        expected = model_listing(catalog.rows, params)
        assert [item[0] for item in body["items"]] == expected
        # The compact form: the same ids, from a sort index alone when nothing is filtered (the
        # archived project's photos, in that index too, still left out).
        compact = get_ok(admin, "/api/photos/all-keys", {**params, "fields": "id"})
        assert compact == {"ids": expected, "total": len(expected), "fields": ["id"]}
        assert body["total"] == len(expected)
        assert body["fields"] == ["id", "project_folder", "basename"]
        by_id = {r.id: r for r in catalog.rows}
        assert all(
            (folder, name) == (by_id[pid].folder, by_id[pid].basename)
            for pid, folder, name in body["items"]
        )
    project_id, folder = next(iter(catalog.projects.items()))
    in_project = get_ok(admin, "/api/photos/all-keys", {"project": folder})
    assert [i[0] for i in in_project["items"]] == model_listing(catalog.in_project(project_id), {})
    compact = get_ok(admin, "/api/photos/all-keys", {"project": folder, "fields": "id"})
    assert compact["ids"] == [i[0] for i in in_project["items"]]
    assert error_code(admin.get("/api/photos/all-keys", params={"fields": "path"}), 400)
    monkeypatch.setattr(contactsheet.catalog.pages, "ALL_KEYS_CAP", 100)
    assert error_code(admin.get("/api/photos/all-keys"), 413) == "payload_too_large"
    compact_refused = admin.get("/api/photos/all-keys", params={"fields": "id"})
    assert error_code(compact_refused, 413) == "payload_too_large"
    narrow = {"rating_min": 5, "file_type": "raw"}
    expected = model_listing(catalog.rows, narrow)
    assert 0 < len(expected) <= 100
    assert [i[0] for i in get_ok(admin, "/api/photos/all-keys", narrow)["items"]] == expected
    monkeypatch.setattr(contactsheet.catalog.pages, "ALL_KEYS_CAP", len(expected))
    assert get_ok(admin, "/api/photos/all-keys", narrow)["total"] == len(expected)


def test_pending_deletes_by_project(admin: TestClient, catalog: Catalog) -> None:
    body = get_ok(admin, "/api/photos/pending-deletes", {})
    expected = pending_model(catalog.rows)
    by_project = {
        p["project_id"]: {k: p[k] for k in ("photos", "jpg", "raw")} for p in body["by_project"]
    }
    assert by_project == expected
    assert {p["project"] for p in body["by_project"]} == {catalog.projects[i] for i in expected}
    for key in ("photos", "jpg", "raw"):
        assert body["total"][key] == sum(e[key] for e in expected.values())
    assert catalog.archived_project_id not in by_project
    # The same count as the pending_delete filter.
    assert (
        body["total"]["photos"]
        == get_ok(admin, "/api/photos", {"keep_type": "pending_delete", "limit": 1})["total"]
    )


def test_project_tags_count_photos(admin: TestClient, catalog: Catalog) -> None:
    for project_id, folder in catalog.projects.items():
        body = get_ok(admin, f"/api/projects/{folder}/tags", {})
        rows = catalog.in_project(project_id)
        counts = {name_key(i["name"]): i["photos"] for i in body["items"]}
        assert counts == {name_key(t): sum(name_key(t) in r.tags for r in rows) for t in TAG_NAMES}
