"""Uploads that meet a changing world: a project deleted or a folder renamed while files arrive,
a file already on disk under the claimed name, a disk that fills up. Every source that shares the
placement code (multipart upload, tus, `contactsheet import`) answers with a clear JSON error and
leaves no temporary file anywhere in the library. Real servers, real files, real databases; each
race is made deterministic by changing things between real calls.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from contactsheet.db.tables import Photo
from contactsheet.errors import ProjectNotFound
from contactsheet.ingest.importer import import_path
from contactsheet.ingest.outcomes import IngestOptions
from contactsheet.ingest.resumable import tus_dir
from contactsheet.ingest.staging import staging_dir
from contactsheet.library.atomic import TEMP_PREFIX
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    digest,
    events,
    login_cookie,
    make_project,
    make_samples,
    photos,
    project_row,
    run_all,
    start,
    store,
    visible,
    wait_for,
)
from tests.livesrv import live_server
from tests.test_ingest_sources import run_import, tus_create, tus_leftovers, tus_patch

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


def padded_jpeg(samples: Samples, size: int) -> bytes:
    """A real JPEG (valid name, magic bytes and EXIF) followed by padding up to `size` bytes."""
    head = samples.jpg.read_bytes()
    return head + b"\0" * (size - len(head))


def temp_files(runtime: Runtime) -> list[str]:
    """Every file of an upload in transit, anywhere under the data folder: staged parts, copies
    made for a cross-device claim, atomic-write temporaries, and tus data still waiting."""
    root = runtime.paths.root
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(root)
        in_uploads = relative.parts[0] == "uploads" and ".locks" not in relative.parts
        if (
            in_uploads
            or path.name.startswith((".upload", TEMP_PREFIX))
            or path.name.endswith(".part")
        ):
            found.append(str(relative))
    return sorted(found)


def staged_parts(runtime: Runtime) -> list[Path]:
    return [p for p in runtime.paths.root.rglob(".upload-*.part") if p.is_file()]


def photo_rows(runtime: Runtime) -> list[tuple[str, list[str]]]:
    with runtime.db.read() as session:
        return sorted((p.basename, list(p.filenames)) for p in session.scalars(select(Photo)))


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}, body
    assert body["error"]["message"], body
    return response.status_code, body["error"]["code"]


def delete_project(http: httpx.Client | TestClient, runtime: Runtime, folder: str) -> None:
    """Delete through the API, then run the `project_delete` task: the folder leaves the library."""
    assert http.delete(f"/api/projects/{quote(folder)}").status_code == 200
    run_all(runtime)
    assert not runtime.paths.project_dir(folder).exists()


def rename_by_hand(runtime: Runtime, folder: str, new_folder: str) -> Path:
    target = runtime.paths.projects_root / new_folder
    runtime.paths.project_dir(folder).rename(target)
    return target


# -- multipart uploads held open over a raw socket -------------------------------------------------


class HeldUpload:
    """A multipart upload sent in two halves over a raw socket: first every file part complete
    (so the server has staged and checked them) and a form field begun, then, once the test has
    changed something, the end of the body, which makes the server place the files."""

    def __init__(self, port: int, folder: str, cookie: str, files: list[tuple[str, bytes]]) -> None:
        self.boundary = f"cs-{secrets.token_hex(8)}"
        parts = b"".join(
            (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
            for name, data in files
        )
        field = f'--{self.boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nx'
        self.first = parts + field.encode()
        self.rest = f"\r\n--{self.boundary}--\r\n".encode()
        head = (
            f"POST /api/projects/{quote(folder)}/upload HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Cookie: cs_access={cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={self.boundary}\r\n"
            f"Content-Length: {len(self.first) + len(self.rest)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.sendall(head + self.first)

    def finish(self) -> httpx.Response:
        self.sock.sendall(self.rest)
        received = b""
        while chunk := self.sock.recv(65536):
            received += chunk
        self.sock.close()
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines)
        if headers.get("transfer-encoding") == "chunked":
            body = _unchunk(body)
        return httpx.Response(int(status_line.split()[1]), headers=headers, content=body)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


@pytest.fixture
def server(app: FastAPI) -> Iterator[tuple[int, str, httpx.Client]]:
    """A live server, a session cookie for it, and an httpx client holding that cookie."""
    with live_server(app) as live:
        cookie = login_cookie(live.url)
        with httpx.Client(base_url=live.url, timeout=20, cookies={"cs_access": cookie}) as http:
            yield live.port, cookie, http


def held_upload(
    server: tuple[int, str, httpx.Client], runtime: Runtime, folder: str, files: dict[str, bytes]
) -> HeldUpload:
    port, cookie, _http = server
    upload = HeldUpload(port, folder, cookie, list(files.items()))
    sizes = sorted(len(data) for data in files.values())
    # Every file is in: staged to its full size (wherever the server keeps staged files).
    wait_for(lambda: sorted(p.stat().st_size for p in staged_parts(runtime)) == sizes, timeout=20)
    return upload


def test_project_deleted_between_staging_and_placement_answers_404(
    server: tuple[int, str, httpx.Client], runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Deleted midway")
    files = {"A_1.JPG": samples.jpg.read_bytes(), "A_2.JPG": samples.jpg_other.read_bytes()}
    upload = held_upload(server, runtime, project.folder, files)
    delete_project(server[2], runtime, project.folder)
    response = upload.finish()
    assert error_of(response) == (404, "project_not_found"), response.text
    assert temp_files(runtime) == []
    assert photo_rows(runtime) == []


def test_folder_renamed_by_hand_mid_upload_answers_409(
    server: tuple[int, str, httpx.Client], runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Renamed midway")
    upload = held_upload(server, runtime, project.folder, {"B_1.JPG": samples.jpg.read_bytes()})
    moved = rename_by_hand(runtime, project.folder, "Renamed in the file manager")
    response = upload.finish()
    assert error_of(response) == (409, "project_folder_missing"), response.text
    assert temp_files(runtime) == []
    assert visible(moved) == [] and photo_rows(runtime) == []
    # Once discovery has followed the folder, the same upload goes through.
    run_all_discovery(runtime)
    folder = project_row(runtime, project.id).folder
    assert folder == moved.name
    files = [("files", ("B_1.JPG", samples.jpg.read_bytes(), "image/jpeg"))]
    again = server[2].post(f"/api/projects/{quote(folder)}/upload", files=files)
    assert again.status_code == 200 and again.json()["stored"] == 1, again.text
    assert visible(moved) == ["B_1.JPG"] and temp_files(runtime) == []


def run_all_discovery(runtime: Runtime) -> None:
    start(runtime, "folder_discovery")
    run_all(runtime)


def test_folder_moved_by_the_app_mid_upload_is_followed(
    server: tuple[int, str, httpx.Client], runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Before")
    data = samples.jpg.read_bytes()
    upload = held_upload(server, runtime, project.folder, {"C_1.JPG": data})
    http = server[2]
    renamed = http.patch(f"/api/projects/{quote(project.folder)}", json={"name": "After"})
    assert renamed.status_code == 200, renamed.text
    run_all(runtime)  # folder_alignment renames the folder on disk and in the database
    folder = project_row(runtime, project.id).folder
    assert folder == "After"
    response = upload.finish()
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    assert (runtime.paths.project_dir(folder) / "C_1.JPG").read_bytes() == data
    assert photo_rows(runtime) == [("C_1", ["C_1.JPG"])]
    assert temp_files(runtime) == []


def test_upload_into_a_project_whose_folder_is_missing_answers_409(
    admin: TestClient, runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    project = make_project(runtime, "Gone from disk")
    shutil.move(runtime.paths.project_dir(project.folder), tmp_path / "elsewhere")
    files = [("files", ("D_1.JPG", samples.jpg.read_bytes(), "image/jpeg"))]
    response = admin.post(f"/api/projects/{quote(project.folder)}/upload", files=files)
    assert error_of(response) == (409, "project_folder_missing"), response.text  # type: ignore[arg-type]
    created = tus_create(admin, 100, filename="D_2.JPG", project=project.folder)  # type: ignore[arg-type]
    assert error_of(created) == (409, "project_folder_missing"), created.text  # type: ignore[arg-type]
    assert temp_files(runtime) == [] and photo_rows(runtime) == []
    assert not runtime.paths.project_dir(project.folder).exists(), "nothing recreated the folder"


# -- tus: the completion path ----------------------------------------------------------------------


def tus_started(admin: TestClient, folder: str, name: str, data: bytes) -> str:
    """An upload with all but its last bytes sent; its URL."""
    created = tus_create(admin, len(data), filename=name, project=folder)  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    assert tus_patch(admin, url, 0, data[:-10]).status_code == 204  # type: ignore[arg-type]
    return url


def test_tus_completion_after_the_project_was_deleted_answers_404(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Tus deleted")
    data = samples.raw.read_bytes()
    url = tus_started(admin, project.folder, "E_1.DNG", data)
    delete_project(admin, runtime, project.folder)
    done = tus_patch(admin, url, len(data) - 10, data[-10:])  # type: ignore[arg-type]
    assert error_of(done) == (404, "project_not_found"), done.text  # type: ignore[arg-type]
    assert tus_leftovers(runtime) == [] and temp_files(runtime) == []
    assert photo_rows(runtime) == []


def test_tus_completion_after_the_folder_was_renamed_by_hand_answers_409(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Tus renamed")
    data = samples.raw.read_bytes()
    url = tus_started(admin, project.folder, "F_1.DNG", data)
    moved = rename_by_hand(runtime, project.folder, "Tus renamed by hand")
    done = tus_patch(admin, url, len(data) - 10, data[-10:])  # type: ignore[arg-type]
    assert error_of(done) == (409, "project_folder_missing"), done.text  # type: ignore[arg-type]
    assert tus_leftovers(runtime) == [] and temp_files(runtime) == []
    assert visible(moved) == [] and photo_rows(runtime) == []


# -- contactsheet import ---------------------------------------------------------------------------


def import_with(
    runtime: Runtime, source: Path, project: str, between: Callable[[], None]
) -> Exception:
    """Import `source` with `between` run once, after the first file is staged and before any is
    placed (the importer's progress callback runs between the two); the error it ends with."""
    calls = []

    def on_file(_path: Path, _size: int) -> None:
        if not calls:
            calls.append(1)
            between()

    with pytest.raises(Exception) as raised:
        import_path(
            runtime,
            source,
            project_name=project,
            move=True,
            options=IngestOptions(),
            on_file=on_file,
        )
    return raised.value


def card(samples: Samples, folder: Path) -> dict[Path, str]:
    samples.copy("jpg", folder / "G_1.JPG")
    samples.copy("raw", folder / "G_1.DNG")
    samples.copy("jpg_other", folder / "G_2.JPG")
    return {p: digest(p) for p in folder.rglob("*") if p.is_file()}


def test_import_into_a_project_deleted_midway_stops_with_not_found(
    client: TestClient, runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    from tests.conftest import login

    login(client)
    project = make_project(runtime, "Import deleted")
    sources = card(samples, tmp_path / "card")
    error = import_with(
        runtime,
        tmp_path / "card",
        "Import deleted",
        lambda: delete_project(client, runtime, project.folder),
    )
    assert isinstance(error, ProjectNotFound), repr(error)
    assert temp_files(runtime) == [] and photo_rows(runtime) == []
    # --move removes only what was stored: here nothing.
    assert {p: digest(p) for p in sources} == sources


def test_import_into_a_folder_renamed_midway_stops_with_conflict(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    project = make_project(runtime, "Import renamed")
    sources = card(samples, tmp_path / "card")
    error = import_with(
        runtime,
        tmp_path / "card",
        "Import renamed",
        lambda: rename_by_hand(runtime, project.folder, "Import renamed by hand"),
    )
    assert getattr(error, "code", None) == "project_folder_missing", repr(error)
    assert getattr(error, "status", None) == 409
    assert temp_files(runtime) == [] and photo_rows(runtime) == []
    assert {p: digest(p) for p in sources} == sources
    assert visible(runtime.paths.projects_root / "Import renamed by hand") == []


@pytest.mark.usefixtures("restore_logging")
def test_import_command_into_a_missing_folder_says_so(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    project = make_project(runtime, "Import missing")
    shutil.move(runtime.paths.project_dir(project.folder), tmp_path / "elsewhere")
    card(samples, tmp_path / "card")
    code, output = run_import(runtime, str(tmp_path / "card"), "--project", "Import missing")
    assert code == 2, output
    assert "not on disk" in output and "Traceback" not in output
    assert temp_files(runtime) == [] and photo_rows(runtime) == []


# -- a file already on disk under the claimed name -------------------------------------------------


def _upload(admin: TestClient, folder: str, name: str, data: bytes) -> dict[str, object]:
    files = [("files", (name, data, "image/jpeg"))]
    response = admin.post(f"/api/projects/{quote(folder)}/upload", files=files)
    assert response.status_code == 200, response.text
    return response.json()["files"][0]  # type: ignore[no-any-return]


def _tus(
    admin: TestClient, runtime: Runtime, folder: str, name: str, data: bytes
) -> dict[str, object]:
    created = tus_create(admin, len(data), filename=name, project=folder)  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    done = tus_patch(admin, created.headers["location"], 0, data)  # type: ignore[arg-type]
    assert done.status_code == 204, done.text
    return events(runtime, "upload_completed")[-1][1]


@pytest.mark.parametrize("source", ["multipart", "tus", "import"])
def test_a_file_copied_in_by_hand_is_neither_ghosted_nor_overwritten(
    admin: TestClient, runtime: Runtime, samples: Samples, tmp_path: Path, source: str
) -> None:
    """The name is taken on disk by a different file not indexed yet: both are kept, the
    upload under a free name; an identical one is skipped as identical to the file on disk."""
    project = make_project(runtime, "Copied by hand")
    directory = runtime.paths.project_dir(project.folder)
    by_hand = samples.copy("jpg_other", directory / "H_1.JPG")  # not indexed yet
    samples.copy("jpg", tmp_path / "card" / "H_1.JPG")
    samples.copy("jpg_other", tmp_path / "same" / "H_1.JPG")
    results = []
    for card in ("card", "same"):
        data = (tmp_path / card / "H_1.JPG").read_bytes()
        if source == "multipart":
            result = _upload(admin, project.folder, "H_1.JPG", data)
        elif source == "tus":
            result = _tus(admin, runtime, project.folder, "H_1.JPG", data)
        else:
            code, output = run_import(runtime, str(tmp_path / card), "--project", project.name)
            assert code == 0, output
            result = {"status": "stored" if "H_1_2.JPG" in output else "skipped", "why": output}
        results.append(result)
    assert results[0]["status"] == "stored", results
    assert results[1]["status"] == "skipped", results
    if source != "import":
        assert results[0]["stored_as"] == "H_1_2.JPG" and results[0]["class"] == "name_taken"
        assert results[1]["class"] == "identical" and "H_1.JPG" in str(results[1]["reason"])
    assert digest(by_hand) == digest(samples.jpg_other), "the file on disk is untouched"
    # The row is the upload's; the file on disk is indexed by the folder check.
    assert {b: p.filenames for b, p in photos(runtime, project.id).items()} == {
        "H_1_2": ["H_1_2.JPG"]
    }
    assert visible(directory) == ["H_1.JPG", "H_1_2.JPG"] and temp_files(runtime) == []


def test_a_file_copied_in_by_hand_goes_to_trash_when_overwriting(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Overwrite by hand")
    directory = runtime.paths.project_dir(project.folder)
    samples.copy("jpg_other", directory / "I_1.JPG")
    files = [("files", ("I_1.JPG", samples.jpg.read_bytes(), "image/jpeg"))]
    response = admin.post(
        f"/api/projects/{quote(project.folder)}/upload",
        files=files,
        params={"on_name_taken": "overwrite"},
    )
    assert response.status_code == 200 and response.json()["stored"] == 1, response.text
    assert digest(directory / "I_1.JPG") == digest(samples.jpg)
    trashed = [p for p in (directory / ".trash").iterdir() if p.name.endswith("I_1.JPG")]
    assert [digest(p) for p in trashed] == [digest(samples.jpg_other)]
    assert {b: p.filenames for b, p in photos(runtime, project.id).items()} == {"I_1": ["I_1.JPG"]}


def test_a_second_type_copied_in_by_hand_leaves_the_photo_as_it_was(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Raw by hand")
    store(runtime, project, {"J_1.JPG": samples.jpg})
    directory = runtime.paths.project_dir(project.folder)
    samples.copy("raw", directory / "J_1.DNG")
    other_raw = samples.raw.read_bytes() + b"\0" * 16
    result = _upload(admin, project.folder, "J_1.DNG", other_raw)
    assert (result["status"], result["stored_as"]) == ("stored", "J_1_2.DNG"), result
    assert result["conflict"] == {"taken_by": "J_1.DNG", "renamed_from": "J_1.DNG"}
    assert digest(directory / "J_1.DNG") == digest(samples.raw)
    assert {b: p.filenames for b, p in photos(runtime, project.id).items()} == {
        "J_1": ["J_1.JPG"],
        "J_1_2": ["J_1_2.DNG"],
    }
    assert temp_files(runtime) == []


# -- a disk that fills up --------------------------------------------------------------------------


def _mount_tmpfs(target: Path, size: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small filesystem here: {exc}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


SMALL_DISK = 4 * 1024 * 1024


@pytest.fixture
def data_dir(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The library on a small disk of its own for the tests that ask for `small_disk`; the
    database stays on the test's ordinary disk."""
    folder = tmp_path / "library"
    if "small_disk" not in request.fixturenames:
        yield folder
        return
    _mount_tmpfs(folder, str(SMALL_DISK))
    try:
        yield folder
    finally:
        _umount(folder)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


@pytest.fixture
def small_disk() -> None:
    """Asked for by a test whose library lives on a small disk (see `data_dir`)."""


@pytest.mark.usefixtures("small_disk")
def test_disk_full_during_a_multipart_upload_answers_507(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Full disk")
    free = free_bytes(runtime.paths.root)
    big = padded_jpeg(samples, SMALL_DISK + 1024 * 1024)
    files = [("files", ("K_1.JPG", big, "image/jpeg"))]
    response = admin.post(f"/api/projects/{quote(project.folder)}/upload", files=files)
    assert error_of(response) == (507, "insufficient_storage"), response.text  # type: ignore[arg-type]
    assert temp_files(runtime) == [] and photo_rows(runtime) == []
    assert free_bytes(runtime.paths.root) >= free - 64 * 1024, "the partial file's space is back"
    # A big file that fails does not take a small one of the same request with it.
    files = [
        ("files", ("K_2.JPG", big, "image/jpeg")),
        ("files", ("K_3.JPG", samples.jpg.read_bytes(), "image/jpeg")),
    ]
    mixed = admin.post(f"/api/projects/{quote(project.folder)}/upload", files=files)
    assert mixed.status_code == 200, mixed.text
    results = {f["name"]: f for f in mixed.json()["files"]}
    assert results["K_2.JPG"]["error"]["code"] == "insufficient_storage"
    assert results["K_3.JPG"]["status"] == "stored"
    assert visible(runtime.paths.project_dir(project.folder)) == ["K_3.JPG"]
    assert temp_files(runtime) == []


@pytest.mark.usefixtures("small_disk")
def test_disk_full_at_tus_completion_answers_507(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Full disk tus")
    # The finished upload fits; the copy it is checked through does not.
    data = padded_jpeg(samples, int(free_bytes(runtime.paths.root) * 0.6))
    created = tus_create(admin, len(data), filename="L_1.JPG", project=project.folder)  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    done = tus_patch(admin, created.headers["location"], 0, data)  # type: ignore[arg-type]
    assert error_of(done) == (507, "insufficient_storage"), done.text  # type: ignore[arg-type]
    assert tus_leftovers(runtime) == [] and temp_files(runtime) == []
    assert photo_rows(runtime) == []


@pytest.mark.usefixtures("small_disk")
def test_disk_full_during_a_tus_patch_answers_507_and_resumes_intact(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    project = make_project(runtime, "Full disk patch")
    free = free_bytes(runtime.paths.root)
    data = padded_jpeg(samples, int(free * 0.4))
    filler = runtime.paths.root / "filler.bin"  # whatever else fills the disk meanwhile
    filler.write_bytes(b"\1" * int(free * 0.75))
    created = tus_create(admin, len(data), filename="O_1.JPG", project=project.folder)  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    cut = tus_patch(admin, url, 0, data)  # type: ignore[arg-type]
    assert error_of(cut) == (507, "insufficient_storage"), cut.text  # type: ignore[arg-type]
    # What the server says arrived is what is on disk, so a resume cannot misplace a byte.
    head = admin.head(url, headers=TUS)
    offset = int(head.headers["upload-offset"])
    uid = url.rsplit("/", 1)[1]
    assert (tus_dir(runtime) / uid).stat().st_size == offset
    filler.unlink()
    done = tus_patch(admin, url, offset, data[offset:])  # type: ignore[arg-type]
    assert done.status_code == 204, done.text
    stored = runtime.paths.project_dir(project.folder) / "O_1.JPG"
    assert stored.read_bytes() == data
    assert tus_leftovers(runtime) == [] and temp_files(runtime) == []


@pytest.mark.usefixtures("small_disk", "restore_logging")
def test_disk_full_during_import_rejects_what_does_not_fit(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    make_project(runtime, "Full disk import")
    source = tmp_path / "card"
    source.mkdir()
    (source / "M_1.JPG").write_bytes(padded_jpeg(samples, SMALL_DISK + 1024 * 1024))
    samples.copy("jpg", source / "M_2.JPG")
    code, output = run_import(runtime, str(source), "--project", "Full disk import", "--move")
    assert code == 1, output
    assert "M_1.JPG" in output and "not enough space" in output, output
    assert "cannot read" not in output, "a full disk is not a bad source file"
    assert (source / "M_1.JPG").exists() and not (source / "M_2.JPG").exists()
    assert photo_rows(runtime) == [("M_2", ["M_2.JPG"])]
    assert temp_files(runtime) == []


def test_a_project_folder_on_another_full_disk_answers_507(
    admin: TestClient, runtime: Runtime, samples: Samples
) -> None:
    """A project folder that is a mount of its own: a file is claimed by copying beside its
    name and linking that, and the copy can run out of space."""
    project = make_project(runtime, "Own disk")
    directory = runtime.paths.project_dir(project.folder)
    kept = {p.name: (p.read_bytes() if p.is_file() else None) for p in directory.iterdir()}
    _mount_tmpfs(directory, "1m")
    try:
        for name, content in kept.items():
            if content is None:
                (directory / name).mkdir()
            else:
                (directory / name).write_bytes(content)
        small = samples.jpg.read_bytes()
        stored = _upload(admin, project.folder, "N_1.JPG", small)
        assert stored["status"] == "stored", stored
        assert (directory / "N_1.JPG").read_bytes() == small
        files = [("files", ("N_2.JPG", padded_jpeg(samples, 2 * 1024 * 1024), "image/jpeg"))]
        response = admin.post(f"/api/projects/{quote(project.folder)}/upload", files=files)
        assert error_of(response) == (507, "insufficient_storage"), response.text  # type: ignore[arg-type]
        assert visible(directory) == ["N_1.JPG"] and temp_files(runtime) == []
        assert photo_rows(runtime) == [("N_1", ["N_1.JPG"])]
    finally:
        _umount(directory)


def test_files_a_killed_server_left_staged_are_removed_after_a_day(runtime: Runtime) -> None:
    directory = staging_dir(runtime.paths)
    old, fresh = directory / ".upload-0123456789abcdef.part", directory / ".upload-fresh.part"
    old.write_bytes(b"half a photo")
    fresh.write_bytes(b"arriving now")
    day_and_a_bit = time.time() - 25 * 3600
    os.utime(old, (day_and_a_bit, day_and_a_bit))
    start(runtime, "maintenance_global")
    run_all(runtime)
    assert not old.exists() and fresh.exists()
