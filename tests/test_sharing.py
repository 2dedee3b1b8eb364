"""Shared links, what a visitor can reach with one, public asset hashes and signed downloads
(docs/sharing.md). Every check of what an anonymous visitor sees is made without a session, on
the real app and database."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contactsheet.clock import shifted, utcnow
from contactsheet.runtime import Runtime
from contactsheet.sharing.public_hash import public_hash
from tests.derivsupport import create_project, distinct_jpegs, upload

HTML_ROUTES = ("/", "/login", "/trash", "/links", "/photos", "/projects/Shoot")
FILL = {"photo_id": "1", "link_id": "1", "job_id": "1", "kind": "thumbnail", "digest": "0" * 22}


def _anonymous(app: FastAPI) -> TestClient:
    return TestClient(app)


def _ids_by_name(admin: TestClient) -> dict[str, int]:
    items = admin.get("/api/photos", params={"limit": 500}).json()["items"]
    return {item["basename"]: item["id"] for item in items}


def _make_public(admin: TestClient, ids: list[int]) -> None:
    body = {"items": [{"photo_id": i} for i in ids], "visibility": "public"}
    assert admin.post("/api/photos/visibility", json=body).status_code == 200


def _link(admin: TestClient, ids: list[int], **fields: Any) -> dict[str, Any]:
    response = admin.post(
        "/api/shared-links", json={"title": "For the client", "photo_ids": ids, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def shoot(admin: TestClient) -> dict[str, Any]:
    """A project of three photos; DSC05140 and DSC05141 public, DSC05142 private; a link holding
    all three that allows downloads."""
    folder = create_project(admin, "Shoot")
    upload(admin, folder, distinct_jpegs(3, 160, 120))
    ids = _ids_by_name(admin)
    public = [ids["DSC05140"], ids["DSC05141"]]
    private = ids["DSC05142"]
    _make_public(admin, public)
    link = _link(admin, [*public, private], allow_downloads=True)
    return {"folder": folder, "public": public, "private": private, "link": link}


def _gallery(anon: TestClient, key: str, **params: Any) -> httpx.Response:
    return anon.get(f"/shared/api/{key}", params=params)


def test_a_link_shows_and_serves_only_its_public_photos(app: FastAPI, shoot: dict) -> None:
    anon = _anonymous(app)
    key, private = shoot["link"]["key"], shoot["private"]
    assert shoot["link"]["photo_count"] == 3 and shoot["link"]["public_count"] == 2
    gallery = _gallery(anon, key)
    assert gallery.status_code == 200, gallery.text
    body = gallery.json()
    assert [item["id"] for item in body["items"]] == shoot["public"]
    assert body["photo_count"] == 2
    assert "DSC05142" not in gallery.text and f'"id": {private}' not in gallery.text
    # Nothing a visitor has no use for: no paths, folders, file names or internal decisions.
    for forbidden in ("Shoot", ".JPG", "filenames", "keep_", "rating", "project"):
        assert forbidden not in gallery.text, forbidden
    assert gallery.headers["cache-control"] == "private, no-store"

    for item in body["items"]:
        for url in (item["thumbnail_url"], item["preview_url"]):
            image = anon.get(url)
            assert image.status_code == 200, url
            assert image.headers["content-type"].startswith("image/")
            assert image.headers["cache-control"].startswith("public, max-age=")
        original = anon.get(item["download_url"])
        assert original.status_code == 200
        assert original.content[:3] == b"\xff\xd8\xff"
        assert original.headers["content-disposition"].startswith("attachment;")

    # The private photo, by every route and form, even with a correctly made hash.
    link_id = shoot["link"]["id"]
    digest = public_hash(app.state.runtime.secret_key, _sharing(app), key, private, utcnow())
    for url in (
        f"/shared/assets/{link_id}/{private}/{digest}/thumbnail",
        f"/shared/assets/{link_id}/{private}/{digest}/preview",
        f"/shared/api/{key}/photos/{private}/original",
        f"/shared/api/{key}/download.zip?ids={private}",
    ):
        refused = anon.get(url)
        assert refused.status_code == 404, url
        assert refused.json()["error"]["code"] in {"not_found", "photo_not_found"}

    archive = anon.get(body["zip_url"])
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    assert int(archive.headers["content-length"]) == len(archive.content)
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["DSC05140.JPG", "DSC05141.JPG"]


def _sharing(app: FastAPI) -> Any:
    return app.state.runtime.settings.sharing


def test_without_a_session_only_auth_health_downloads_and_shared_answer(
    app: FastAPI, shoot: dict
) -> None:
    anon = _anonymous(app)
    document = anon.get("/openapi.json").json()
    public = re.compile(r"^(/api/auth/.*|/api/health|/shared/.*|/api/downloads/\{token\})$")
    for path, operations in document["paths"].items():
        for method in operations:
            url = re.sub(r"\{(\w+)\}", lambda m: FILL.get(m[1], "x" * 43), path)
            response = anon.request(method.upper(), url, json={} if method != "get" else None)
            if public.match(path):
                assert response.status_code != 500, f"{method} {url}"
                if path.startswith(("/shared/", "/api/downloads/")):
                    assert response.status_code in {403, 404}, f"{method} {url}"
            else:
                assert response.status_code == 401, f"{method} {url}: {response.status_code}"
    for route in HTML_ROUTES:
        page = anon.get(route)
        # The app's page is public (it asks for the login); it holds no photo.
        assert "DSC0514" not in page.text, route
    # The gallery page names none of the photos itself: they come from the API.
    page = anon.get(shoot["link"]["url"])
    assert page.status_code == 200 and "DSC0514" not in page.text


def test_unknown_regenerated_and_expired_keys_answer_the_same_404(
    app: FastAPI, admin: TestClient, shoot: dict
) -> None:
    anon = _anonymous(app)
    link = shoot["link"]
    unknown = _gallery(anon, "x" * 43)
    regenerated = admin.post(f"/api/shared-links/{link['id']}/regenerate").json()
    assert regenerated["key"] != link["key"] and len(regenerated["key"]) >= 32
    old = _gallery(anon, link["key"])
    assert _gallery(anon, regenerated["key"]).status_code == 200
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert (
        admin.patch(f"/api/shared-links/{link['id']}", json={"expires_at": future}).status_code
        == 200
    )
    assert _gallery(anon, regenerated["key"]).status_code == 200
    with shifted(timedelta(days=1, seconds=1)):
        expired = _gallery(anon, regenerated["key"])
        expired_page = anon.get(regenerated["url"])
    for answer in (unknown, old, expired):
        assert answer.status_code == 404
        assert answer.json() == unknown.json()
    assert expired_page.status_code == 404
    assert anon.get(link["url"]).status_code == 404
    # The old key's downloads went with it.
    assert anon.get(f"/shared/api/{link['key']}/download.zip").status_code == 404
    # Cleared expiry: the link works again.
    admin.patch(f"/api/shared-links/{link['id']}", json={"expires_at": None})
    assert _gallery(anon, regenerated["key"]).status_code == 200


def test_short_long_and_odd_keys_answer_the_same_404(app: FastAPI, shoot: dict) -> None:
    anon = _anonymous(app)
    unknown = _gallery(anon, "x" * 43).json()
    for key in ("a", "x" * 31, "x" * 65, "é" * 40, "%00" * 12, shoot["link"]["key"][:-1]):
        answer = _gallery(anon, key)
        assert answer.status_code == 404, key
        assert answer.json() == unknown


def test_a_new_key_takes_the_old_image_urls_with_it(
    app: FastAPI, admin: TestClient, shoot: dict
) -> None:
    anon = _anonymous(app)
    link = shoot["link"]
    old = _gallery(anon, link["key"]).json()["items"][0]["thumbnail_url"]
    assert anon.get(old).status_code == 200
    renewed = admin.post(f"/api/shared-links/{link['id']}/regenerate").json()
    assert anon.get(old).status_code == 404
    new = _gallery(anon, renewed["key"]).json()["items"][0]["thumbnail_url"]
    assert new != old and anon.get(new).status_code == 200
    # A photo in two links: each link's URLs stand on their own.
    other = _link(admin, shoot["public"][:1])
    assert admin.delete(f"/api/shared-links/{other['id']}").status_code == 204
    assert anon.get(new).status_code == 200


def test_odd_hashes_are_a_404_not_a_500(app: FastAPI, shoot: dict) -> None:
    anon = _anonymous(app)
    link_id, photo = shoot["link"]["id"], shoot["public"][0]
    for digest in ("é" * 22, "%FF" * 22, "0" * 21, "0" * 64, "%00" * 22):
        answer = anon.get(f"/shared/assets/{link_id}/{photo}/{digest}/thumbnail")
        assert answer.status_code in {400, 404}, digest
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_visitor_is_not_told_why_a_file_is_missing(
    app: FastAPI, runtime: Runtime, shoot: dict
) -> None:
    anon = _anonymous(app)
    key, photo = shoot["link"]["key"], shoot["public"][0]
    (runtime.paths.project_dir(shoot["folder"]) / "DSC05140.JPG").unlink()
    answer = anon.get(f"/shared/api/{key}/photos/{photo}/original")
    assert answer.status_code == 404
    assert "DSC05140" not in answer.text and "Shoot" not in answer.text


def test_a_public_hash_works_inside_its_28_days_and_not_after(app: FastAPI, shoot: dict) -> None:
    anon = _anonymous(app)
    item = _gallery(anon, shoot["link"]["key"]).json()["items"][0]
    old_url = item["thumbnail_url"]
    assert anon.get(old_url).status_code == 200
    with shifted(timedelta(days=22)):
        rotated = _gallery(anon, shoot["link"]["key"]).json()["items"][0]["thumbnail_url"]
        assert rotated != old_url
        assert anon.get(rotated).status_code == 200
        assert anon.get(old_url).status_code == 200  # still inside its validity
    with shifted(timedelta(days=29)):
        assert anon.get(old_url).status_code == 404
    guessed = re.sub(r"/[0-9a-f]{22}/", "/" + "0" * 22 + "/", old_url)
    assert anon.get(guessed).status_code == 404


def test_asset_max_age_never_outlives_the_hash(app: FastAPI, shoot: dict) -> None:
    anon = _anonymous(app)
    url = _gallery(anon, shoot["link"]["key"]).json()["items"][0]["thumbnail_url"]
    max_age = int(anon.get(url).headers["cache-control"].split("max-age=")[1])
    assert 0 < max_age <= 86400


def test_a_removed_photo_or_a_deleted_link_stops_its_assets(
    app: FastAPI, admin: TestClient, shoot: dict
) -> None:
    anon = _anonymous(app)
    link = shoot["link"]
    url = _gallery(anon, link["key"]).json()["items"][0]["thumbnail_url"]
    assert anon.get(url).status_code == 200
    body = {"items": [{"photo_id": shoot["public"][0]}], "visibility": "private"}
    admin.post("/api/photos/visibility", json=body)
    assert anon.get(url).status_code == 404
    _make_public(admin, [shoot["public"][0]])
    assert anon.get(url).status_code == 200
    assert admin.delete(f"/api/shared-links/{link['id']}").status_code == 204
    assert anon.get(url).status_code == 404
    assert admin.get(f"/api/shared-links/{link['id']}").status_code == 404


def test_location_only_when_the_link_shows_it(
    app: FastAPI, admin: TestClient, runtime: Runtime, shoot: dict
) -> None:
    from sqlalchemy import update

    from contactsheet.db.tables import Photo

    with runtime.db.write() as session:
        session.execute(
            update(Photo).where(Photo.id == shoot["public"][0]).values(gps_lat=48.85, gps_lon=2.35)
        )
    anon = _anonymous(app)
    key, link_id = shoot["link"]["key"], shoot["link"]["id"]
    assert "48.85" not in _gallery(anon, key).text
    admin.patch(f"/api/shared-links/{link_id}", json={"show_location": True})
    assert _gallery(anon, key).json()["items"][0]["location"] == {"lat": 48.85, "lon": 2.35}


def test_downloads_only_when_the_link_allows_them(
    app: FastAPI, admin: TestClient, shoot: dict
) -> None:
    anon = _anonymous(app)
    link = shoot["link"]
    admin.patch(f"/api/shared-links/{link['id']}", json={"allow_downloads": False})
    body = _gallery(anon, link["key"]).json()
    assert body["zip_url"] is None
    assert all(item["download_url"] is None for item in body["items"])
    photo = shoot["public"][0]
    assert anon.get(f"/shared/api/{link['key']}/photos/{photo}/original").status_code == 404
    assert anon.get(f"/shared/api/{link['key']}/download.zip").status_code == 404


def test_pages_never_skip_or_repeat(app: FastAPI, admin: TestClient, runtime: Runtime) -> None:
    from sqlalchemy import update

    from contactsheet.db.tables import Photo

    folder = create_project(admin, "Many")
    upload(admin, folder, distinct_jpegs(7, 64, 48))
    ids = sorted(_ids_by_name(admin).values())
    _make_public(admin, ids)
    # Photos taken in the same second: the order falls back to the id.
    with runtime.db.write() as session:
        session.execute(update(Photo).values(taken_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC)))
    link = _link(admin, ids)
    anon = _anonymous(app)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _gallery(anon, link["key"], **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert _gallery(anon, link["key"], cursor="not-a-cursor").status_code == 400


def test_managing_links(admin: TestClient, shoot: dict) -> None:
    link = shoot["link"]
    assert [item["id"] for item in admin.get("/api/shared-links").json()["items"]] == [link["id"]]
    changed = admin.patch(
        f"/api/shared-links/{link['id']}", json={"title": "  Wedding   proofs ", "description": "x"}
    ).json()
    assert changed["title"] == "Wedding proofs" and changed["description"] == "x"
    assert admin.patch(f"/api/shared-links/{link['id']}", json={"title": " "}).status_code == 400
    assert admin.patch(f"/api/shared-links/{link['id']}", json={"key": "x"}).status_code == 400
    naive = admin.patch(
        f"/api/shared-links/{link['id']}", json={"expires_at": "2030-01-01T00:00:00"}
    )
    assert naive.status_code == 400  # a date without its zone is ambiguous
    for edge in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        assert (
            admin.patch(f"/api/shared-links/{link['id']}", json={"expires_at": edge}).status_code
            == 400
        ), edge
    zoned = admin.patch(
        f"/api/shared-links/{link['id']}", json={"expires_at": "2030-01-01T09:00:00+09:00"}
    ).json()
    assert zoned["expires_at"].startswith("2030-01-01T00:00:00")
    again = admin.post(
        f"/api/shared-links/{link['id']}/photos",
        json={"add": [shoot["public"][0], 2_000_000], "remove": [shoot["private"]]},
    ).json()
    assert again["added"] == 0 and again["removed"] == 1
    assert again["failed"] == [{"photo_id": 2_000_000, "error": "no such photo"}]
    assert again["link"]["photo_count"] == 2
    too_many = admin.post(
        f"/api/shared-links/{link['id']}/photos", json={"add": list(range(1, 2002))}
    )
    assert too_many.status_code == 400
    photos = admin.get(f"/api/shared-links/{link['id']}/photos").json()["items"]
    assert {p["visibility"] for p in photos} == {"public"}
    assert admin.post("/api/shared-links/999999/regenerate").status_code == 404


def test_signed_download_urls(app: FastAPI, admin: TestClient, shoot: dict) -> None:
    anon = _anonymous(app)
    answer = admin.post(
        f"/api/projects/{shoot['folder']}/download-url", json={"filename": "dsc05142.jpg"}
    )
    assert answer.status_code == 200, answer.text
    url = answer.json()["url"]
    got = anon.get(url)
    assert got.status_code == 200 and got.content[:3] == b"\xff\xd8\xff"
    assert "DSC05142.JPG" in got.headers["content-disposition"]
    assert got.headers["cache-control"] == "private, no-store"
    token = url.rsplit("/", 1)[1]
    for position in (0, len(token) // 3, len(token) // 2, len(token) - 1):
        flipped = "A" if token[position] != "A" else "B"
        tampered = token[:position] + flipped + token[position + 1 :]
        assert anon.get(f"/api/downloads/{tampered}").status_code == 403, position
    with shifted(timedelta(seconds=100)):
        assert anon.get(url).status_code == 200
    with shifted(timedelta(seconds=122)):
        expired = anon.get(url)
        assert expired.status_code == 403
        assert expired.json()["error"]["code"] == "forbidden"
    # An access token is not a download token, and a token is taken only as it was written.
    assert anon.get(f"/api/downloads/{admin.cookies['cs_access']}").status_code == 403
    assert anon.get(f"{url}=").status_code == 403
    assert anon.get(f"{url}%20").status_code == 403
    missing = admin.post(
        f"/api/projects/{shoot['folder']}/download-url", json={"filename": "nothing.jpg"}
    )
    assert missing.status_code == 404


def test_zip_of_a_selection_by_json_and_by_form(admin: TestClient, shoot: dict) -> None:
    ids = [*shoot["public"], shoot["private"]]
    by_json = admin.post("/api/photos/download-zip", json={"photo_ids": ids})
    assert by_json.status_code == 200, by_json.text
    names = sorted(zipfile.ZipFile(io.BytesIO(by_json.content)).namelist())
    assert names == ["DSC05140.JPG", "DSC05141.JPG", "DSC05142.JPG"]
    by_form = admin.post(
        "/api/photos/download-zip", data={"photo_ids": ",".join(map(str, ids)), "files": "raw"}
    )
    assert by_form.status_code == 404  # no RAW among them
    assert admin.post("/api/photos/download-zip", json={"photo_ids": []}).status_code == 400
    assert admin.post("/api/photos/download-zip", data={"photo_ids": "1,x"}).status_code == 400


def test_same_names_from_two_projects_do_not_overwrite_each_other(admin: TestClient) -> None:
    first, second = create_project(admin, "One"), create_project(admin, "Two")
    upload(admin, first, distinct_jpegs(1, 64, 48))
    upload(admin, second, [("dsc05140.jpg", distinct_jpegs(2, 64, 48)[1][1])])
    ids = sorted(_ids_by_name(admin).values())
    archive = admin.post("/api/photos/download-zip", json={"photo_ids": ids})
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["DSC05140.JPG", "dsc05140 (2).jpg"]
    assert all("/" not in name for name in names)


@pytest.mark.parametrize("where", ["outside the library", "the private photo beside it"])
def test_a_link_planted_in_place_of_an_original_is_never_read_through(
    app: FastAPI, admin: TestClient, runtime: Runtime, shoot: dict, tmp_path: Any, where: str
) -> None:
    folder = runtime.paths.project_dir(shoot["folder"])
    secret = tmp_path / "secret.txt" if where == "outside the library" else folder / "DSC05142.JPG"
    if where == "outside the library":
        secret.write_bytes(b"not for the client")
    else:
        secret.write_bytes(secret.read_bytes() + b"not for the client")
    original = folder / "DSC05140.JPG"
    original.unlink()
    original.symlink_to(secret)
    anon = _anonymous(app)
    key = shoot["link"]["key"]
    photo = shoot["public"][0]
    single = anon.get(f"/shared/api/{key}/photos/{photo}/original")
    assert single.status_code in {400, 404} and b"not for the client" not in single.content
    archive = anon.get(f"/shared/api/{key}/download.zip")
    assert archive.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == ["DSC05141.JPG"]
    assert b"not for the client" not in archive.content
    signed = admin.post(
        f"/api/projects/{shoot['folder']}/download-url", json={"filename": "DSC05140.JPG"}
    ).json()["url"]
    refused = anon.get(signed)
    assert refused.status_code in {400, 404} and b"not for the client" not in refused.content
    assert str(tmp_path) not in refused.text
