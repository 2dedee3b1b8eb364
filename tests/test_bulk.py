"""The rules of every bulk endpoint (docs/catalog.md): at most 2,000 items, `dry_run` changes
nothing, per-item failures are reported while the rest succeed; and what each edit does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from contactsheet.db.tables import Event, Job, Photo, PhotoTag, Tag, Task
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from tests.catalogsupport import Catalog, build_catalog, error_code

UNKNOWN = 987_654_321

ITEM_ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("/api/photos/keep", {"keep_jpg": True}),
    ("/api/photos/tags/add", {"tags": ["Bride"]}),
    ("/api/photos/tags/remove", {"tags": ["Bride"]}),
    ("/api/photos/visibility", {"visibility": "public"}),
    ("/api/photos/rating", {"rating": 3}),
    ("/api/photos/pick", {"pick": "picked"}),
    ("/api/photos/move", {"dest_folder": "Listing 1"}),
    ("/api/photos/process", {"force": True}),
]


@pytest.fixture
def catalog(runtime: Runtime) -> Catalog:
    return build_catalog(runtime, 60, projects=2, seed=3, archived=True)


def state(runtime: Runtime) -> dict[str, Any]:
    """Everything a bulk edit could touch."""
    with runtime.db.read() as session:
        photos = {
            p.id: (
                p.project_id,
                p.basename,
                tuple(p.filenames),
                p.keep_jpg,
                p.keep_raw,
                p.visibility,
                p.rating,
                p.pick,
            )
            for p in session.scalars(select(Photo))
        }
        tags = sorted((t.id, t.project_id, t.name) for t in session.scalars(select(Tag)))
        links = sorted(
            tuple(r) for r in session.execute(select(PhotoTag.photo_id, PhotoTag.tag_id))
        )
        counts = {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (Job, Task, Event)
        }
    return {"photos": photos, "tags": tags, "links": links, "counts": counts}


def post(admin: TestClient, url: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = admin.post(url, json=body)
    assert response.status_code == status, (url, response.text)
    return response.json()  # type: ignore[no-any-return]


def items(ids: list[int]) -> list[dict[str, int]]:
    return [{"photo_id": i} for i in ids]


@pytest.mark.parametrize(("url", "extra"), ITEM_ENDPOINTS)
def test_item_limits(
    admin: TestClient, runtime: Runtime, catalog: Catalog, url: str, extra: dict[str, Any]
) -> None:
    before = state(runtime)
    ids = [r.id for r in catalog.rows]
    too_many = items((ids * 40)[:2001])
    assert error_code(admin.post(url, json={"items": too_many, **extra}), 400) == "invalid_input"
    assert error_code(admin.post(url, json={"items": [], **extra}), 400) == "invalid_input"
    assert error_code(admin.post(url, json={"items": [{"id": 1}], **extra}), 400)
    assert error_code(admin.post(url, json={**extra}), 400)
    assert state(runtime) == before
    # Exactly 2,000 (the same photos, repeated) is accepted, as a dry run.
    accepted = admin.post(url, json={"items": items((ids * 40)[:2000]), "dry_run": True, **extra})
    assert accepted.status_code in (200, 202), accepted.text
    assert state(runtime) == before


def test_project_lists_are_limited_too(admin: TestClient, catalog: Catalog) -> None:
    folders = [f"p{i}" for i in range(2001)]
    for url in ("/api/photos/commit-changes", "/api/photos/revert-changes"):
        assert error_code(admin.post(url, json={"projects": folders}), 400) == "invalid_input"
        response = admin.post(url, json={"projects": ["nope"]})
        assert error_code(response, 404) == "project_not_found"


def _dry_run_bodies(catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    rows = catalog.rows
    jpg_only = [r.id for r in rows if r.jpg_available and not r.raw_available][:5]
    some = [r.id for r in rows[:12]]
    return [
        ("/api/photos/keep", {"items": items(jpg_only), "keep_jpg": False}),
        ("/api/photos/tags/add", {"items": items(some), "tags": ["Brand new", "bride"]}),
        ("/api/photos/tags/remove", {"items": items(some), "tags": ["Bride", "groom"]}),
        ("/api/photos/visibility", {"items": items(some), "visibility": "public"}),
        ("/api/photos/rating", {"items": items(some), "rating": 4}),
        ("/api/photos/pick", {"items": items(some), "pick": "rejected"}),
    ]


def test_dry_runs_answer_and_change_nothing(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    for url, body in _dry_run_bodies(catalog):
        before = state(runtime)
        dry = post(admin, url, {**body, "dry_run": True})
        assert state(runtime) == before, url
        assert dry["dry_run"] is True
        assert dry["changed"], url  # every body here changes something
        real = post(admin, url, body)
        assert real["dry_run"] is False
        # The dry run said exactly what the real request did.
        assert (real["changed"], real["unchanged"], real["failed"]) == (
            dry["changed"],
            dry["unchanged"],
            dry["failed"],
        ), url
        assert state(runtime) != before


def test_dry_run_of_move_commit_revert_and_process(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    first, second = list(catalog.projects.values())
    in_first = [r.id for r in catalog.rows if r.folder == first][:4]
    in_second = [r.id for r in catalog.rows if r.folder == second][:2]
    before = state(runtime)
    move = post(
        admin,
        "/api/photos/move",
        {"items": items([*in_first, *in_second, UNKNOWN]), "dest_folder": second, "dry_run": True},
        202,
    )
    assert move["moving"] == sorted(in_first)
    assert sorted(move["already_there"]) == sorted(in_second)
    assert move["failed"] == [{"photo_id": UNKNOWN, "error": "no such photo"}]
    assert "task_id" not in move
    pending = post(admin, "/api/photos/commit-changes", {"dry_run": True}, 202)
    assert pending["tasks"] == [] and pending["dry_run"] is True
    assert {p["project"] for p in pending["pending"]} == {first, second}
    one = post(admin, f"/api/projects/{first}/commit-changes", {"dry_run": True}, 202)
    assert [p["project"] for p in one["pending"]] == [first]
    reverted = post(admin, "/api/photos/revert-changes", {"dry_run": True})
    assert reverted["reverted"] == 0 and reverted["pending"] == pending["pending"]
    assert post(admin, f"/api/projects/{first}/revert-changes", {"dry_run": True})["reverted"] == 0
    process = post(
        admin, "/api/photos/process", {"items": items([*in_first, UNKNOWN]), "dry_run": True}
    )
    assert process["dry_run"] is True
    assert process["failures"] == [{"photo_id": UNKNOWN, "error": "no such photo"}]
    assert state(runtime) == before
    # For real: a task for the move and one process task per project.
    assert "task_id" in post(
        admin, "/api/photos/move", {"items": items(in_first), "dest_folder": second}, 202
    )
    queued = post(admin, "/api/photos/process", {"items": items([*in_second, UNKNOWN])}, 202)
    assert queued["queued"] == len(in_second) and len(queued["jobs"]) == 1
    assert queued["failures"] == [{"photo_id": UNKNOWN, "error": "no such photo"}]


def test_per_item_failures_do_not_stop_the_rest(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    jpg_only = [r for r in catalog.rows if r.jpg_available and not r.raw_available][:3]
    pairs = [r for r in catalog.rows if r.jpg_available and r.raw_available][:3]
    ids = [r.id for r in jpg_only + pairs]
    result = post(
        admin,
        "/api/photos/keep",
        {"items": items([*ids, UNKNOWN]), "keep_raw": True, "keep_jpg": True},
    )
    failed = {f["photo_id"]: f["error"] for f in result["failed"]}
    assert failed.keys() == {r.id for r in jpg_only} | {UNKNOWN}
    assert failed[UNKNOWN] == "no such photo"
    assert all("RAW" in failed[r.id] for r in jpg_only)
    assert sorted(result["changed"] + result["unchanged"]) == sorted(r.id for r in pairs)
    with runtime.db.read() as session:
        for r in pairs:
            photo = session.get_one(Photo, r.id)
            assert (photo.keep_jpg, photo.keep_raw) == (True, True)
        for r in jpg_only:  # the failed items are untouched
            assert session.get_one(Photo, r.id).keep_jpg == r.keep_jpg
    # Per item values override the request's; a photo of an archived project is unknown.
    with runtime.db.read() as session:
        archived = session.scalar(
            select(Photo.id).where(Photo.project_id == catalog.archived_project_id).limit(1)
        )
    mixed = post(
        admin,
        "/api/photos/keep",
        {
            "items": [
                {"photo_id": pairs[0].id, "keep_raw": False},
                {"photo_id": pairs[1].id},
                {"photo_id": archived},
            ],
            "keep_jpg": False,
        },
    )
    assert mixed["failed"] == [{"photo_id": archived, "error": "no such photo"}]
    with runtime.db.read() as session:
        assert (
            session.get_one(Photo, pairs[0].id).keep_jpg,
            session.get_one(Photo, pairs[0].id).keep_raw,
        ) == (False, False)
        assert (
            session.get_one(Photo, pairs[1].id).keep_jpg,
            session.get_one(Photo, pairs[1].id).keep_raw,
        ) == (False, True)
    events = _events(runtime, "pending_changes_state")
    assert events and events[-1]["channel"] == "pending-changes"
    for url, extra in (
        ("/api/photos/visibility", {"visibility": "public"}),
        ("/api/photos/rating", {"rating": 2}),
        ("/api/photos/pick", {"pick": "picked"}),
        ("/api/photos/tags/add", {"tags": ["x"]}),
        ("/api/photos/tags/remove", {"tags": ["x"]}),
    ):
        answer = post(admin, url, {"items": items([ids[0], UNKNOWN, ids[1], ids[0]]), **extra})
        assert answer["failed"] == [{"photo_id": UNKNOWN, "error": "no such photo"}], url
        assert sorted(answer["changed"] + answer["unchanged"]) == sorted(ids[:2]), url


def test_keeping_only_what_a_photo_has(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    """'Keep RAW + JPG' on a selection mixing JPG-only photos and pairs: with `only_available`
    each photo keeps what it has, and none fails for the format it lacks."""
    jpg_only = [r for r in catalog.rows if r.jpg_available and not r.raw_available][:3]
    pairs = [r for r in catalog.rows if r.jpg_available and r.raw_available][:3]
    for r in jpg_only + pairs:
        post(admin, "/api/photos/keep", {"items": items([r.id]), "keep_jpg": False})
    result = post(
        admin,
        "/api/photos/keep",
        {
            "items": items([r.id for r in jpg_only + pairs]),
            "keep_jpg": True,
            "keep_raw": True,
            "only_available": True,
        },
    )
    assert result["failed"] == []
    with runtime.db.read() as session:
        for r in jpg_only:
            photo = session.get_one(Photo, r.id)
            assert (photo.keep_jpg, photo.raw_available) == (True, False)
        for r in pairs:
            photo = session.get_one(Photo, r.id)
            assert (photo.keep_jpg, photo.keep_raw) == (True, True)


def _events(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Event).where(Event.type == kind).order_by(Event.id))
        return [{"channel": e.channel, **e.data} for e in rows]


def test_tags_are_idempotent_and_follow_names(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    first, second = list(catalog.projects.items())
    ids = [r.id for r in catalog.rows][:10]
    both = [i for i in ids]
    added = post(admin, "/api/photos/tags/add", {"items": items(both), "tags": ["Sunset", "Dusk"]})
    assert sorted(added["changed"]) == sorted(both) and added["unchanged"] == []
    again = post(admin, "/api/photos/tags/add", {"items": items(both), "tags": ["SUNSET", "dusk"]})
    assert again["changed"] == [] and sorted(again["unchanged"]) == sorted(both)
    # One tag per name and project, whatever the case asked for.
    for project_id, folder in (first, second):
        tags = admin.get(f"/api/projects/{folder}/tags").json()["items"]
        named = {name_key(t["name"]): t for t in tags}
        expected = sum(1 for r in catalog.rows if r.id in both and r.project_id == project_id)
        for key in ("sunset", "dusk"):
            assert key in named if expected else key not in named
            if expected:
                assert named[key]["photos"] == expected
        assert [t["name"] for t in tags].count("Sunset") <= 1
    listed = admin.get(
        "/api/photos", params={"tags": "sunset,dusk", "tags_mode": "all", "limit": 500}
    ).json()
    assert sorted(i["id"] for i in listed["items"]) == sorted(both)
    removed = post(admin, "/api/photos/tags/remove", {"items": items(both), "tags": ["sunset"]})
    assert sorted(removed["changed"]) == sorted(both)
    gone = post(admin, "/api/photos/tags/remove", {"items": items(both), "tags": ["Sunset"]})
    assert gone["changed"] == [] and sorted(gone["unchanged"]) == sorted(both)
    never = post(admin, "/api/photos/tags/remove", {"items": items(both), "tags": ["Never"]})
    assert never["changed"] == [] and never["failed"] == []
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).where(Tag.name_key == "never")) == 0
    for bad in ([], [""], ["x"] * 51, ["a" * 101], ["tab\there\x00"]):
        response = admin.post("/api/photos/tags/add", json={"items": items(ids), "tags": bad})
        assert error_code(response, 400) == "invalid_input", bad


def test_rating_pick_and_visibility_values(
    admin: TestClient, runtime: Runtime, catalog: Catalog
) -> None:
    ids = [r.id for r in catalog.rows][:5]
    before = state(runtime)
    for rating in (-1, 6, 2.5, "five", None):
        response = admin.post("/api/photos/rating", json={"items": items(ids), "rating": rating})
        assert error_code(response, 400) == "invalid_input", rating
    for bad_pick in ("maybe", "", None, "PICKED "):
        response = admin.post("/api/photos/pick", json={"items": items(ids), "pick": bad_pick})
        assert error_code(response, 400) == "invalid_input", bad_pick
    for bad_visibility in ("secret", "Public", None):
        response = admin.post(
            "/api/photos/visibility", json={"items": items(ids), "visibility": bad_visibility}
        )
        assert error_code(response, 400) == "invalid_input", bad_visibility
    assert state(runtime) == before

    def values() -> list[tuple[int, str, str]]:
        with runtime.db.read() as session:
            return [
                (p.rating, p.pick, p.visibility) for p in (session.get_one(Photo, i) for i in ids)
            ]

    for rating in range(6):
        post(admin, "/api/photos/rating", {"items": items(ids), "rating": rating})
        assert {v[0] for v in values()} == {rating}
    for pick in ("picked", "rejected", "unflagged"):
        post(admin, "/api/photos/pick", {"items": items(ids), "pick": pick})
        assert {v[1] for v in values()} == {pick}
        listed = admin.get("/api/photos", params={"pick": pick, "limit": 500}).json()["items"]
        assert set(ids) <= {i["id"] for i in listed}
    for visibility in ("public", "private", "private"):
        answer = post(
            admin, "/api/photos/visibility", {"items": items(ids), "visibility": visibility}
        )
        assert {v[2] for v in values()} == {visibility}
    assert answer["changed"] == [] and sorted(answer["unchanged"]) == sorted(ids)
    # Keep flags are independent of the judgement.
    with runtime.db.read() as session:
        assert [(p.keep_jpg, p.keep_raw) for p in (session.get_one(Photo, i) for i in ids)] == [
            (p[3], p[4]) for p in (before["photos"][i] for i in ids)
        ]
