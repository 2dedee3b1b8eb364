"""Serving thumbnails and previews (docs/derivatives.md): an upload
nothing can decode ends `failed` and answers a clear 422; good photos answer 200 with ETag, 304 and
a private Cache-Control; a thumbnail deleted by hand is made again on the spot, once, however many
ask."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contactsheet.logs import event_fields
from contactsheet.runtime import Runtime
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    concurrently,
    create_project,
    decoded,
    derivative_file,
    distinct_jpegs,
    jpeg_bytes,
    photo_ids,
    preview,
    records,
    run_jobs,
    thumbnail,
    unreadable_jpeg_bytes,
    upload,
)

GOOD = distinct_jpegs(3, 640, 480)
GOOD_NAMES = [name.rsplit(".", 1)[0] for name, _ in GOOD]


def test_unreadable_jpeg_fails_readably_and_good_neighbours_are_served(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Shoot")
    body = upload(admin, folder, [*GOOD, ("BROKEN.JPG", unreadable_jpeg_bytes())])
    assert {f["status"] for f in body["files"]} == {"stored"}, "a damaged file is still kept"
    assert (runtime.paths.project_dir(folder) / "BROKEN.JPG").is_file()
    run_jobs(runtime)

    found = records(runtime, folder)
    for kind in KINDS:
        broken = found["BROKEN"][kind]
        assert broken.status == "failed"
        assert broken.error and "BROKEN.JPG" in broken.error, broken.error
        assert not derivative_file(runtime, folder, "BROKEN", kind).exists()
    assert_all_generated(runtime, folder, GOOD_NAMES, exact=False)

    # The photo list agrees with the records.
    listed = admin.get(f"/api/projects/{folder}/photos").json()["items"]
    by_name = {item["basename"]: item for item in listed}
    assert by_name["BROKEN"]["thumbnail_status"] == "failed"
    assert all(by_name[n]["thumbnail_status"] == "generated" for n in GOOD_NAMES)

    for answer in (thumbnail(admin, folder, "BROKEN"), preview(admin, folder, "BROKEN")):
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/json")
        error = answer.json()["error"]
        assert error["code"] == "undecodable_source"
        assert "BROKEN.JPG" in error["message"]
    # Asking did not turn the failure into anything else, nor leave a file behind.
    assert records(runtime, folder)["BROKEN"]["thumbnail"].status == "failed"

    for name in GOOD_NAMES:
        answer = thumbnail(admin, folder, name)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "image/webp"
        cache_control = answer.headers["cache-control"]
        assert "private" in cache_control and "public" not in cache_control
        etag = answer.headers["etag"]
        assert etag
        assert max(decoded(answer.content).size) == 640
        again = thumbnail(admin, folder, name, **{"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "public" not in again.headers["cache-control"]
        other = thumbnail(admin, folder, name, **{"If-None-Match": '"0-0"'})
        assert other.status_code == 200 and other.content == answer.content

        shown = preview(admin, folder, name)
        assert shown.status_code == 200
        assert "public" not in shown.headers["cache-control"]
        # Previews are JPEG by default; the header says what the bytes are.
        assert shown.headers["content-type"] == "image/jpeg"
        assert decoded(shown.content).format == "JPEG"

    missing = thumbnail(admin, folder, "NOSUCHPHOTO")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"]
    assert thumbnail(admin, "no-such-project", GOOD_NAMES[0]).status_code == 404
    assert preview(admin, "no-such-project", GOOD_NAMES[0]).status_code == 404


def test_thumbnails_need_a_session(client: TestClient, admin: TestClient, runtime: Runtime) -> None:
    folder = create_project(admin, "Private")
    upload(admin, folder, GOOD[:1])
    run_jobs(runtime)
    assert thumbnail(admin, folder, GOOD_NAMES[0]).status_code == 200
    admin.post("/api/auth/logout")
    client.cookies.clear()
    assert thumbnail(client, folder, GOOD_NAMES[0]).status_code == 401


def test_thumbnails_deleted_by_hand_are_made_again_on_request(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Lost thumbs")
    files = distinct_jpegs(4, 480, 360)
    names = [name.rsplit(".", 1)[0] for name, _ in files]
    upload(admin, folder, files)
    run_jobs(runtime)
    assert_all_generated(runtime, folder, names)

    thumbs = runtime.paths.thumb_dir(folder)
    shutil.rmtree(thumbs)  # `.thumb/*` and the folder itself
    for name in names:
        answer = thumbnail(admin, folder, name)
        assert answer.status_code == 200, answer.text
        assert decoded(answer.content).size == (480, 360)
        path = derivative_file(runtime, folder, name, "thumbnail")
        assert path.read_bytes() == answer.content
    assert_all_generated(runtime, folder, names)

    for path in runtime.paths.preview_dir(folder).iterdir():
        path.unlink()
    for name in names:
        assert preview(admin, folder, name).status_code == 200
    assert_all_generated(runtime, folder, names)


def test_fifty_concurrent_requests_for_a_deleted_thumbnail_generate_it_once(
    admin: TestClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    folder = create_project(admin, "Crowd")
    files = distinct_jpegs(2, 1200, 900)
    upload(admin, folder, files)
    run_jobs(runtime)
    target = "DSC05140"
    photo_id = photo_ids(runtime, folder)[target]
    before = records(runtime, folder)
    path = derivative_file(runtime, folder, target, "thumbnail")
    path.unlink()

    caplog.set_level(logging.INFO, logger="contactsheet.derivatives.generate")
    caplog.clear()  # the suite logs at INFO: the first generation above is in the records too
    answers = concurrently([lambda: thumbnail(admin, folder, target)] * 50, workers=50)
    assert [a.status_code for a in answers] == [200] * 50
    bodies = {a.content for a in answers}
    assert len(bodies) == 1, "every request got the same image"
    assert {a.headers["etag"] for a in answers} == {answers[0].headers["etag"]}
    assert path.read_bytes() == answers[0].content
    assert decoded(answers[0].content).size == (800, 600)

    generations = [
        r
        for r in caplog.records
        if r.getMessage() == "derivatives_generated" and event_fields(r).get("photo_id") == photo_id
    ]
    assert len(generations) == 1, [event_fields(r) for r in generations]
    assert event_fields(generations[0])["kinds"] == "thumbnail"
    after = records(runtime, folder)
    old, new = before[target]["thumbnail"], after[target]["thumbnail"]
    assert new.status == "generated" and new.file_size == path.stat().st_size
    assert old.generated_at is not None and new.generated_at is not None
    assert new.generated_at > old.generated_at, "it was made again"
    # The preview (whose file was there) and the neighbour were left alone.
    assert after[target]["preview"] == before[target]["preview"]
    assert after["DSC05141"] == before["DSC05141"]


def test_a_photo_whose_source_and_thumbnail_are_gone_answers_a_clear_error(
    admin: TestClient, runtime: Runtime
) -> None:
    """Nothing to make it from: a JSON error naming the file, never a 500."""
    folder = create_project(admin, "Gone")
    upload(admin, folder, GOOD[:2])
    run_jobs(runtime)
    name = GOOD_NAMES[0]
    (runtime.paths.project_dir(folder) / GOOD[0][0]).unlink()
    derivative_file(runtime, folder, name, "thumbnail").unlink()

    answer = thumbnail(admin, folder, name)
    assert answer.status_code == 422, answer.text
    assert GOOD[0][0] in answer.json()["error"]["message"]
    # What is still on disk is still served, and the neighbour is unaffected.
    assert preview(admin, folder, name).status_code == 200
    assert thumbnail(admin, folder, GOOD_NAMES[1]).status_code == 200


def _replace(path: Path, data: bytes) -> None:
    """As a user's tool replaces a file: a whole new file renamed over the old one."""
    temp = path.with_name(f".incoming-{path.name}")
    temp.write_bytes(data)
    os.replace(temp, path)


def test_thumbnails_served_during_forced_regeneration_are_whole_and_match_their_etag(
    admin: TestClient, runtime: Runtime
) -> None:
    """Regeneration replaces files while the grid loads them: every answer must be one whole
    file, its Content-Length and ETag belonging to the very bytes sent."""
    folder = create_project(admin, "Churn")
    upload(admin, folder, [("CHURN.JPG", jpeg_bytes(640, 480, quality=95))])
    run_jobs(runtime)
    photo_id = photo_ids(runtime, folder)["CHURN"]
    source = runtime.paths.project_dir(folder) / "CHURN.JPG"
    # Two sources whose thumbnails differ in size, swapped between forced regenerations.
    variants = [jpeg_bytes(640, 480, quality=95), jpeg_bytes(480, 640, quality=30)]
    stop = threading.Event()

    def regenerate() -> int:
        rounds = 0
        while not stop.is_set() and rounds < 200:
            _replace(source, variants[(rounds + 1) % 2])
            response = admin.post(
                "/api/photos/process", json={"items": [{"photo_id": photo_id}], "force": True}
            )
            assert response.status_code == 202
            run_jobs(runtime, timeout=30)
            rounds += 1
        return rounds

    problems: list[str] = []
    contents_by_etag: dict[str, set[bytes]] = {}

    def fetch() -> None:
        answer = thumbnail(admin, folder, "CHURN")
        if answer.status_code != 200:
            problems.append(f"status {answer.status_code}: {answer.text[:200]}")
            return
        if int(answer.headers["content-length"]) != len(answer.content):
            problems.append(
                f"Content-Length {answer.headers['content-length']} for {len(answer.content)} bytes"
            )
        try:
            decoded(answer.content)
        except Exception as exc:
            problems.append(f"undecodable body: {exc!r}")
        contents_by_etag.setdefault(answer.headers["etag"], set()).add(answer.content)

    background = ThreadPoolExecutor(1)
    churn = background.submit(regenerate)
    try:
        concurrently([fetch] * 150, workers=8)
    finally:
        stop.set()
        background.shutdown(wait=False)
    assert churn.result(timeout=60) >= 2
    mixed = {etag: len(bodies) for etag, bodies in contents_by_etag.items() if len(bodies) > 1}
    assert not problems, problems[:5]
    assert not mixed, f"one ETag was sent with different bodies: {mixed}"


def test_a_large_preview_is_streamed_whole_from_the_file_its_etag_names(
    admin: TestClient, runtime: Runtime
) -> None:
    import io

    import numpy as np
    from PIL import Image

    # Noise does not compress: a preview far larger than one read of the server.
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 255, (1600, 2400, 3), dtype=np.uint8), "RGB")
    data = io.BytesIO()
    noise.save(data, "JPEG", quality=95)
    folder = create_project(admin, "Large")
    upload(admin, folder, [("NOISE.JPG", data.getvalue())])
    first = preview(admin, folder, "NOISE")
    assert first.status_code == 200
    on_disk = derivative_file(runtime, folder, "NOISE", "preview").read_bytes()
    assert len(on_disk) > 256 * 1024
    assert first.content == on_disk
    assert int(first.headers["content-length"]) == len(on_disk)
    again = admin.get(
        f"/api/projects/{folder}/preview/NOISE", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
