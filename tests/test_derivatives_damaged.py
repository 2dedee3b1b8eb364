"""Damaged but readable photos get derivatives with the decoder's warning on their records and in
the photo list; a file nothing can read ends `failed`; a decoder process killed in the middle of a
photo costs that photo only."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from contactsheet.db.enums import ItemStatus
from contactsheet.db.tables import Event, JobItem
from contactsheet.runtime import Runtime
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    decoded,
    derivative_file,
    dng_bytes,
    jobs,
    jpeg_bytes,
    ojpeg_tiff_bytes,
    records,
    run_jobs,
    stray_bytes_jpeg_bytes,
    thumbnail,
    truncated_jpeg_bytes,
    unreadable_jpeg_bytes,
    upload,
    wait_for,
)


def test_damaged_files_get_derivatives_with_their_warning(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Damaged")
    upload(
        admin,
        folder,
        [
            ("GOOD.JPG", jpeg_bytes(900, 600)),
            ("CUT.JPG", truncated_jpeg_bytes()),
            ("STRAY.JPG", stray_bytes_jpeg_bytes()),
            ("SCAN.TIF", ojpeg_tiff_bytes(900, 600)),
            ("NOTHING.JPG", unreadable_jpeg_bytes()),
        ],
    )
    run_jobs(runtime)

    shown = ["GOOD", "CUT", "STRAY", "SCAN"]
    assert_all_generated(runtime, folder, shown, exact=False)
    found = records(runtime, folder)
    expected = {
        "GOOD": None,
        "CUT": "premature end",
        "STRAY": "extraneous bytes",
        "SCAN": "old-style jpeg",
    }
    for name, words in expected.items():
        for kind in KINDS:
            warning = found[name][kind].warning
            if words is None:
                assert warning is None, (name, kind, warning)
            else:
                assert warning is not None and words in warning.lower(), (name, kind, warning)
    assert found["SCAN"]["preview"].params["decoded_with"] == "pillow"
    for kind in KINDS:
        nothing = found["NOTHING"][kind]
        assert nothing.status == "failed" and nothing.warning is None
        assert nothing.error and "NOTHING.JPG" in nothing.error
        assert not derivative_file(runtime, folder, "NOTHING", kind).exists()

    listed = {i["basename"]: i for i in admin.get(f"/api/projects/{folder}/photos").json()["items"]}
    for name, words in expected.items():
        assert listed[name]["thumbnail_status"] == "generated"
        warning = listed[name]["derivative_warning"]
        assert (warning is None) if words is None else (words in warning.lower()), (name, warning)
    assert listed["NOTHING"]["thumbnail_status"] == "failed"
    assert listed["NOTHING"]["derivative_warning"] is None

    for name in shown:
        answer = thumbnail(admin, folder, name)
        assert answer.status_code == 200, answer.text
        assert max(decoded(answer.content).size) == 800
    assert thumbnail(admin, folder, "NOTHING").status_code == 422


def test_a_warning_is_cleared_when_the_source_is_repaired(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Repaired")
    upload(admin, folder, [("CUT.JPG", truncated_jpeg_bytes())])
    run_jobs(runtime)
    assert records(runtime, folder)["CUT"]["preview"].warning
    (runtime.paths.project_dir(folder) / "CUT.JPG").write_bytes(jpeg_bytes(1200, 800))
    response = admin.post(
        "/api/photos/process", json={"items": [{"photo_id": _id(runtime, folder)}]}
    )
    assert response.status_code == 202, response.text
    run_jobs(runtime)
    for kind in KINDS:
        record = records(runtime, folder)["CUT"][kind]
        assert (record.status, record.warning) == ("generated", None)
    # Each generation told the clients showing the photo: first the warning, then that it is
    # gone, each time with the new placeholder.
    first, second = _item_events(runtime)
    assert first["warning"] and first["thumbhash"]
    assert "warning" in second and second["warning"] is None and second["thumbhash"]


def _item_events(runtime: Runtime) -> list[dict[str, object]]:
    with runtime.db.read() as session:
        rows = session.scalars(select(Event).where(Event.type == "item").order_by(Event.id))
        return [dict(row.data) for row in rows]


def _id(runtime: Runtime, folder: str) -> int:
    return records(runtime, folder)["CUT"]["preview"].photo_id


# --- a decoder process that dies in the middle of a photo -----------------------------------------


def _decoder_children() -> list[int]:
    """This process's decoder children (`isolated_worker`), by pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if parent == os.getpid() and b"contactsheet.imaging.isolated_worker" in command:
            found.append(int(entry))
    return found


def _has_open(pid: int, path: Path) -> bool:
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return str(path) in links


def test_a_decoder_killed_mid_photo_fails_that_photo_and_the_job_goes_on(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Killed")
    # A full-size demosaic (the preview needs 3000 px; the embedded one has 600): seconds of LibRaw.
    big = dng_bytes(6000, 4000, 600)
    upload(
        admin,
        folder,
        [
            ("BIG.DNG", big),
            ("SMALL.DNG", dng_bytes(1600, 1066, 1200)),
            ("NEXT.JPG", jpeg_bytes(900, 600)),
        ],
    )
    source = runtime.paths.project_dir(folder) / "BIG.DNG"
    killed: list[int] = []

    def kill_while_decoding() -> None:
        # LibRaw keeps the file open while it decodes: the child holding it is mid-photo.
        pid = wait_for(
            lambda: next((p for p in _decoder_children() if _has_open(p, source)), None),
            timeout=60,
            interval=0.005,
        )
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_while_decoding)
    killer.start()
    run_jobs(runtime)
    killer.join(timeout=60)
    assert killed, "the decoder was never seen decoding BIG.DNG"

    found = records(runtime, folder)
    for kind in KINDS:
        assert found["BIG"][kind].status == "failed"
        assert "decoder process died (killed by SIGKILL)" in (found["BIG"][kind].error or "")
    # the other photos, RAW included (a new decoder process), were made
    assert_all_generated(runtime, folder, ["SMALL", "NEXT"], exact=False)
    (job,) = jobs(runtime, "generate_derivatives")
    assert job.status == "completed"
    assert job.result is not None and job.result["failed"] == 1 and job.result["generated"] == 2
    with runtime.db.read() as session:
        items = session.scalars(select(JobItem).where(JobItem.job_id == job.id)).all()
    by_photo = {item.photo_id: item for item in items}
    assert by_photo[found["BIG"]["preview"].photo_id].status == ItemStatus.FAILED
    assert by_photo[found["SMALL"]["preview"].photo_id].status == ItemStatus.DONE
