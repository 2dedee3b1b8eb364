"""Every way a file gets in (docs/ingest.md) beyond the plain upload of tests/test_upload.py: a
client that disconnects mid-upload, resumable (tus) uploads, `contactsheet import`, and moving
photos between projects (`image_move`). Real files, a real database, real servers where sockets
matter."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import struct
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from contactsheet.api.tus import TUS_PREFIX, expire_abandoned
from contactsheet.cli import app as cli
from contactsheet.db.enums import Pick, Visibility
from contactsheet.db.tables import Photo, Tag
from contactsheet.ingest.resumable import tus_dir
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    add_tags,
    digest,
    events,
    login_cookie,
    make_project,
    make_samples,
    photo,
    photos,
    preview,
    project_row,
    projects,
    run_all,
    set_decisions,
    start,
    store,
    tags_of,
    tasks,
    thumbnail,
    visible,
    wait_for,
)
from tests.livesrv import live_server

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


def staging_leftovers(runtime: Runtime) -> list[str]:
    """Files of an upload in transit, wherever in the library they are kept."""
    root = runtime.paths.root
    return sorted(str(p.relative_to(root)) for p in root.rglob(".upload*") if p.is_file())


def photo_count(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(Photo)) or 0


# -- a client that goes away mid-upload ------------------------------------------------------------


def _half_sent_upload(
    port: int, folder: str, cookie: str, head: bytes, *, reset: bool
) -> socket.socket:
    """Open a raw connection, promise a 5 MB file, send about 1 MB of it; the socket stays open."""
    boundary = f"cs-{secrets.token_hex(8)}"
    part = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="BIG.JPG"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    promised = 5 * 1024 * 1024
    request = (
        f"POST /api/projects/{quote(folder)}/upload HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Cookie: cs_access={cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(part) + promised + len(tail)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if reset:  # close() then sends RST instead of FIN, as a crashed client or a dropped link does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    body = head + b"\0" * (1024 * 1024 - len(head))
    sock.sendall(request + part + body)
    return sock


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_client_gone_mid_upload_leaves_no_partial_file(
    app: FastAPI, runtime: Runtime, samples: Samples, reset: bool
) -> None:
    project = make_project(runtime, "Cut off")
    directory = runtime.paths.project_dir(project.folder)
    with live_server(app) as server:
        cookie = login_cookie(server.url)
        sock = _half_sent_upload(
            server.port, project.folder, cookie, samples.jpg.read_bytes(), reset=reset
        )
        try:
            # The server is really receiving: the staged file exists and is growing.
            wait_for(lambda: staging_leftovers(runtime), timeout=10)
        finally:
            sock.close()
        wait_for(lambda: not staging_leftovers(runtime), timeout=5)
        assert visible(directory) == []
        assert photo_count(runtime) == 0
        with httpx.Client(base_url=server.url, timeout=10, cookies={"cs_access": cookie}) as http:
            assert http.get("/api/health").status_code == 200
            # ... and still takes uploads.
            files = [("files", ("OK.JPG", samples.jpg.read_bytes(), "image/jpeg"))]
            response = http.post(f"/api/projects/{project.folder}/upload", files=files)
            assert response.status_code == 200, response.text
            assert response.json()["stored"] == 1
    assert visible(directory) == ["OK.JPG"] and staging_leftovers(runtime) == []


# -- resumable uploads (tus) -----------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tus_create(client: httpx.Client, length: int, **metadata: str) -> httpx.Response:
    encoded = ",".join(f"{key} {b64(value)}" for key, value in metadata.items())
    return client.post(
        TUS_PREFIX, headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": encoded}
    )


def tus_patch(client: httpx.Client, url: str, offset: int, chunk: bytes) -> httpx.Response:
    return client.patch(url, headers={**OCTETS, "Upload-Offset": str(offset)}, content=chunk)


def tus_leftovers(runtime: Runtime) -> list[str]:
    """Upload data or info files still waiting (the lock folder is tuspyserver's own)."""
    directory = tus_dir(runtime)
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.name != ".locks")


def test_tus_upload_resumes_after_an_interruption(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Resumable")
    data = samples.raw.read_bytes()
    created = tus_create(admin, len(data), filename="DSC9.DNG", project=project.folder)
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    half = len(data) // 2
    first = tus_patch(admin, url, 0, data[:half])
    assert first.status_code == 204 and first.headers["upload-offset"] == str(half)
    # The connection drops here. The client comes back and asks where to go on from.
    head = admin.head(url, headers=TUS)
    assert head.status_code == 200, head.text
    assert head.headers["upload-offset"] == str(half)
    assert head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"
    assert admin.head(url).status_code == 412, "tus requires the Tus-Resumable header"
    # A PATCH from a stale offset is refused and changes nothing.
    assert tus_patch(admin, url, 0, data[:half]).status_code == 409
    offset = int(head.headers["upload-offset"])
    assert photos(runtime, project.id) == {}, "nothing is placed before the upload is complete"
    done = tus_patch(admin, url, offset, data[offset:])
    assert done.status_code == 204, done.text
    assert done.headers["upload-offset"] == str(len(data))

    stored = photos(runtime, project.id)["DSC9"]
    assert stored.filenames == ["DSC9.DNG"] and stored.raw_available and stored.keep_raw
    target = runtime.paths.project_dir(project.folder) / "DSC9.DNG"
    assert target.read_bytes() == data
    queued = tasks(runtime, "upload_postprocess")
    assert [t.payload["photo_ids"] for t in queued] == [[stored.id]]
    assert queued[0].project_id == project.id
    assert tus_leftovers(runtime) == []
    assert staging_leftovers(runtime) == []
    assert admin.head(url, headers=TUS).status_code == 404
    completed = events(runtime, "upload_completed")
    assert [e[1]["stored_as"] for e in completed] == ["DSC9.DNG"]


def test_tus_patch_cut_off_mid_stream_resumes_from_what_arrived(
    app: FastAPI, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Dropped link")
    # A JPEG followed by padding: valid by name, magic bytes and EXIF, and big enough to cut.
    data = samples.jpg.read_bytes() + b"\0" * (3 * 1024 * 1024)
    with live_server(app) as server:
        cookie = login_cookie(server.url)
        with httpx.Client(base_url=server.url, timeout=10, cookies={"cs_access": cookie}) as http:
            created = tus_create(http, len(data), filename="LONG.JPG", project=project.folder)
            assert created.status_code == 201, created.text
            url = created.headers["location"]
            path = httpx.URL(url).path
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            try:
                sock.sendall(
                    (
                        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        f"Cookie: cs_access={cookie}\r\nTus-Resumable: 1.0.0\r\n"
                        "Content-Type: application/offset+octet-stream\r\n"
                        f"Upload-Offset: 0\r\nContent-Length: {len(data)}\r\n\r\n"
                    ).encode()
                    + data[: 1024 * 1024]
                )
                uid = path.rsplit("/", 1)[1]
                wait_for(lambda: (tus_dir(runtime) / uid).stat().st_size > 0, timeout=10)
            finally:
                sock.close()  # the link drops in the middle of the PATCH

            def offset() -> int:
                head = http.head(url, headers=TUS)
                assert head.status_code == 200, head.status_code
                return int(head.headers["upload-offset"])

            arrived = wait_for(offset, timeout=10)
            assert 0 < arrived <= 1024 * 1024
            assert (tus_dir(runtime) / uid).stat().st_size == arrived
            assert photos(runtime, project.id) == {}
            done = tus_patch(http, url, arrived, data[arrived:])
            assert done.status_code == 204, done.text
    target = runtime.paths.project_dir(project.folder) / "LONG.JPG"
    assert target.read_bytes() == data
    assert photos(runtime, project.id)["LONG"].make == "Contax"
    assert tus_leftovers(runtime) == []


def test_tus_creation_is_checked_before_any_byte_arrives(
    admin: TestClient, runtime: Runtime
) -> None:
    project = make_project(runtime, "Checked")
    unknown = tus_create(admin, 1000, filename="A.JPG", project="no-such-project")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "project_not_found"
    text = tus_create(admin, 1000, filename="notes.txt", project=project.folder)
    assert text.status_code == 400 and text.json()["error"]["code"] == "unaccepted_type"
    no_name = tus_create(admin, 1000, project=project.folder)
    assert no_name.status_code == 400
    limit = runtime.settings.processing.upload_max_bytes
    too_big = tus_create(admin, limit + 1, filename="A.JPG", project=project.folder)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    assert tus_leftovers(runtime) == []
    # Without the session cookie nothing is created either.
    anonymous = TestClient(admin.app)
    assert tus_create(anonymous, 1000, filename="A.JPG", project=project.folder).status_code == 401


def test_tus_upload_with_wrong_content_is_rejected_at_completion(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Wrong content")
    data = samples.pdf_as_jpg.read_bytes()
    created = tus_create(admin, len(data), filename="scan.jpg", project=project.folder)
    assert created.status_code == 201
    done = tus_patch(admin, created.headers["location"], 0, data)
    assert 400 <= done.status_code < 500, done.text
    assert done.json()["error"]["code"] == "content_mismatch"
    assert "not what the extension says" in done.json()["error"]["message"]
    directory = runtime.paths.project_dir(project.folder)
    assert visible(directory) == [] and staging_leftovers(runtime) == []
    assert photo_count(runtime) == 0 and tasks(runtime, "upload_postprocess") == []
    assert tus_leftovers(runtime) == []


def test_tuspy_client_uploads_and_resumes_with_the_session_cookie(
    app: FastAPI, runtime: Runtime, samples: Samples
) -> None:
    from tusclient.client import TusClient

    project = make_project(runtime, "Tuspy")
    data = samples.raw.read_bytes()
    with live_server(app) as server:
        cookie = login_cookie(server.url)
        client = TusClient(server.url + TUS_PREFIX, headers={"Cookie": f"cs_access={cookie}"})
        metadata = {"filename": "TUS_1.DNG", "project": project.folder}
        chunk = len(data) // 3 + 1
        first = client.uploader(file_path=str(samples.raw), chunk_size=chunk, metadata=metadata)
        first.upload(stop_at=chunk)  # one chunk, then the "connection drops"
        assert first.url is not None and first.offset == chunk
        assert photos(runtime, project.id) == {}
        # A new uploader for the same URL asks the server for the offset (HEAD) and goes on.
        resumed = client.uploader(
            file_path=str(samples.raw), url=first.url, chunk_size=chunk, metadata=metadata
        )
        assert resumed.offset == chunk
        resumed.upload()
        assert resumed.offset == len(data)
    stored = photos(runtime, project.id)["TUS_1"]
    target = runtime.paths.project_dir(project.folder) / "TUS_1.DNG"
    assert stored.filenames == ["TUS_1.DNG"] and target.read_bytes() == data
    assert tus_leftovers(runtime) == []


def test_abandoned_tus_uploads_expire_after_a_day(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Abandoned")
    data = samples.jpg.read_bytes()
    urls = {}
    for label in ("old", "recent", "fresh"):
        created = tus_create(admin, len(data), filename=f"{label}.jpg", project=project.folder)
        assert created.status_code == 201
        urls[label] = created.headers["location"]
        assert tus_patch(admin, urls[label], 0, data[:100]).status_code == 204
    now = time.time()
    for label, age in (("old", 25 * 3600), ("recent", 23 * 3600)):
        uid = urls[label].rsplit("/", 1)[1]
        for path in (tus_dir(runtime) / uid, tus_dir(runtime) / f"{uid}.info"):
            os.utime(path, (now - age, now - age))
    assert expire_abandoned(runtime) == 1
    assert admin.head(urls["old"], headers=TUS).status_code == 404
    assert not (tus_dir(runtime) / urls["old"].rsplit("/", 1)[1]).exists()
    for label in ("recent", "fresh"):
        head = admin.head(urls[label], headers=TUS)
        assert head.status_code == 200 and head.headers["upload-offset"] == "100"
    assert len(tus_leftovers(runtime)) == 4  # two uploads, each data + info
    assert expire_abandoned(runtime) == 0
    assert expire_abandoned(runtime, now=now + 2 * 86400) == 2
    assert tus_leftovers(runtime) == []


# -- contactsheet import ---------------------------------------------------------------------------


def run_import(runtime: Runtime, *args: str) -> tuple[int, str]:
    env = {
        "CONTACTSHEET_DATA": str(runtime.settings.data),
        "CONTACTSHEET_DATABASE_URL": runtime.db.url,
        "COLUMNS": "200",  # rich wraps at the terminal width; keep file names on one line
    }
    result = CliRunner().invoke(cli, ["import", *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _project_named(runtime: Runtime, name: str) -> int:
    matches = [p for p in projects(runtime) if p.name == name]
    assert len(matches) == 1, [p.name for p in projects(runtime)]
    return matches[0].id


@pytest.mark.usefixtures("restore_logging")
def test_import_groups_a_folder_tree_and_skips_on_a_second_run(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    source = tmp_path / "incoming" / "Trip to Lyon"
    samples.copy("jpg", source / "DSC0001.JPG")
    samples.copy("raw", source / "DSC0001.DNG")
    samples.copy("jpg_other", source / "day2" / "DSC0002.jpg")
    samples.variant("raw", source / "day2" / "DSC0002.dng", "day2")
    samples.copy("png", source / "day2" / "edits" / "IMG_5.PNG")
    (source / "day2" / "clip.MOV").write_bytes(b"\0\0\0\x18ftypqt  not really a movie")
    (source / "notes.txt").write_text("shot list")
    before = {p: digest(p) for p in source.rglob("*") if p.is_file()}

    code, output = run_import(runtime, str(source))
    assert code == 0, output
    project_id = _project_named(runtime, "Trip to Lyon")
    grouped = photos(runtime, project_id)
    assert {b: p.filenames for b, p in grouped.items()} == {
        "DSC0001": ["DSC0001.DNG", "DSC0001.JPG"],
        "DSC0002": ["DSC0002.dng", "DSC0002.jpg"],
        "IMG_5": ["IMG_5.PNG"],
    }
    assert grouped["DSC0001"].jpg_available and grouped["DSC0001"].raw_available
    assert grouped["DSC0001"].make == "Contax"
    assert grouped["IMG_5"].other_available
    folder = project_row(runtime, project_id).folder
    assert visible(runtime.paths.project_dir(folder)) == [
        "DSC0001.DNG",
        "DSC0001.JPG",
        "DSC0002.dng",
        "DSC0002.jpg",
        "IMG_5.PNG",
    ]
    # Sources are copied, never touched; the movie and the notes are ignored and left alone.
    assert {p: digest(p) for p in source.rglob("*") if p.is_file()} == before
    assert "ignored" in output
    assert len(tasks(runtime, "upload_postprocess")) == 1

    again_code, again = run_import(runtime, str(source))
    assert again_code == 0, again
    assert again.count("identical to") == 5 and "│ stored  │" not in again
    assert {b: p.filenames for b, p in photos(runtime, project_id).items()} == {
        b: p.filenames for b, p in grouped.items()
    }
    assert len(projects(runtime)) == 1
    assert len(tasks(runtime, "upload_postprocess")) == 1, "nothing new, nothing to process"


@pytest.mark.usefixtures("restore_logging")
def test_import_reports_rejected_files_and_moves_only_what_it_stored(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    existing = make_project(runtime, "Archive")
    store(runtime, existing, {"OLD_1.JPG": samples.jpg})
    source = tmp_path / "card"
    new_jpg = samples.variant("jpg", source / "NEW_1.JPG", "new")
    new_raw = samples.copy("raw", source / "NEW_1.DNG")  # pairs: the same folder
    duplicate = samples.copy("jpg", source / "OLD_1.JPG")  # the same bytes as the stored one
    fake = samples.copy("pdf_as_jpg", source / "sub" / "scan.jpg")
    notes = source / "notes.txt"
    notes.write_text("keep me")

    code, output = run_import(runtime, str(source), "--project", "Archive", "--move")
    assert code == 1, output
    assert "scan.jpg" in output and "rejected" in output
    assert "OLD_1.JPG" in output and "skipped" in output and "identical" in output
    # Stored sources are gone; the duplicate, the rejected file and the notes stay.
    assert not new_jpg.exists() and not new_raw.exists()
    assert duplicate.exists() and fake.exists() and notes.read_text() == "keep me"
    assert digest(duplicate) == digest(samples.jpg)
    grouped = photos(runtime, existing.id)
    assert {b: p.filenames for b, p in grouped.items()} == {
        "OLD_1": ["OLD_1.JPG"],
        "NEW_1": ["NEW_1.DNG", "NEW_1.JPG"],
    }
    directory = runtime.paths.project_dir(existing.folder)
    assert (directory / "OLD_1.JPG").read_bytes() == samples.jpg.read_bytes()
    assert (directory / "NEW_1.DNG").read_bytes() == samples.raw.read_bytes()
    assert staging_leftovers(runtime) == [] and len(projects(runtime)) == 1


# -- moving photos between projects ----------------------------------------------------------------


def test_image_move_takes_files_sidecars_derivatives_and_tags_along(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    source, dest = make_project(runtime, "Source shoot"), make_project(runtime, "Destination")
    sidecar = tmp_path / "DSC1.xmp"
    sidecar.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    store(runtime, source, {"DSC1.JPG": samples.jpg, "DSC1.DNG": samples.raw})
    store(runtime, source, {"DSC2.JPG": samples.jpg_other})
    src_dir = runtime.paths.project_dir(source.folder)
    dest_dir = runtime.paths.project_dir(dest.folder)
    (src_dir / "DSC1.xmp").write_bytes(sidecar.read_bytes())
    # The clash: a DSC1.JPG copied into the destination by hand (an upload would have renamed it).
    samples.copy("jpg_other", dest_dir / "DSC1.JPG")
    start(runtime, "maintenance", project_id=dest.id)
    start(runtime, "folder_check", project_id=source.id)
    run_all(runtime)  # derivatives for everyone; folder_check indexes the sidecar and the clash
    assert set(photos(runtime, dest.id)) == {"DSC1"}
    moving = photos(runtime, source.id)
    assert moving["DSC1"].filenames == ["DSC1.DNG", "DSC1.JPG", "DSC1.xmp"]
    for name in ("DSC1", "DSC2"):
        assert thumbnail(runtime, source.folder, name).is_file()
        assert preview(runtime, source.folder, name).is_file()
    add_tags(runtime, moving["DSC1"].id, ["client", "Best"])
    set_decisions(
        runtime,
        moving["DSC1"].id,
        keep_jpg=False,
        rating=5,
        pick=Pick.PICKED,
        visibility=Visibility.PUBLIC,
    )
    with runtime.db.write() as session:  # the destination already has a tag of that name
        session.add(
            Tag(
                tenant=runtime.tenant,
                project_id=dest.id,
                name="Client",
                name_key=name_key("Client"),
            )
        )
    clash_bytes = (dest_dir / "DSC1.JPG").read_bytes()
    thumb_bytes = thumbnail(runtime, source.folder, "DSC1").read_bytes()
    ids = [moving["DSC1"].id, moving["DSC2"].id]

    start(
        runtime,
        "image_move",
        project_id=dest.id,
        payload={"photo_ids": ids, "dest_project_id": dest.id},
    )
    run_all(runtime)

    assert photos(runtime, source.id) == {}
    assert visible(src_dir) == []
    assert sorted(p.name for p in (src_dir / ".thumb").iterdir()) == []
    assert sorted(p.name for p in (src_dir / ".preview").iterdir()) == []
    arrived = photos(runtime, dest.id)
    assert {b: p.filenames for b, p in arrived.items()} == {
        "DSC1": ["DSC1.JPG"],
        "DSC1_2": ["DSC1_2.DNG", "DSC1_2.JPG", "DSC1_2.xmp"],
        "DSC2": ["DSC2.JPG"],
    }
    assert visible(dest_dir) == [
        "DSC1.JPG",
        "DSC1_2.DNG",
        "DSC1_2.JPG",
        "DSC1_2.xmp",
        "DSC2.JPG",
    ]
    assert (dest_dir / "DSC1.JPG").read_bytes() == clash_bytes, "nothing is overwritten"
    assert (dest_dir / "DSC1_2.DNG").read_bytes() == samples.raw.read_bytes()
    assert (dest_dir / "DSC1_2.xmp").read_bytes() == sidecar.read_bytes()
    assert thumbnail(runtime, dest.folder, "DSC1_2").read_bytes() == thumb_bytes
    for name in ("DSC1_2", "DSC2"):
        assert thumbnail(runtime, dest.folder, name).is_file()
        assert preview(runtime, dest.folder, name).is_file()
    moved = photo(runtime, ids[0])
    assert moved.project_id == dest.id and moved.basename == "DSC1_2"
    assert (moved.keep_jpg, moved.keep_raw, moved.rating, moved.pick, moved.visibility) == (
        False,
        True,
        5,
        Pick.PICKED,
        Visibility.PUBLIC,
    )
    assert tags_of(runtime, ids[0]) == [("Best", dest.id), ("Client", dest.id)]
    assert photo(runtime, ids[1]).project_id == dest.id
    removed = [d for t, d in events(runtime, "item_removed")]
    assert sorted((d["photo_id"], d["project_id"]) for d in removed) == [
        (ids[0], source.id),
        (ids[1], source.id),
    ]
    moved_events = [d for t, d in events(runtime, "item_moved")]
    assert sorted((d["photo_id"], d["project_id"], d["basename"]) for d in moved_events) == [
        (ids[0], dest.id, "DSC1_2"),
        (ids[1], dest.id, "DSC2"),
    ]
