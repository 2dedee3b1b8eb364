"""A worker killed (SIGKILL) in the middle of a `generate_derivatives` batch (docs/derivatives.md):
no derivative file is ever half-written under its real name, no temporary file is served, and
another worker takes the requeued job over and finishes every photo."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select

from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative
from contactsheet.library.atomic import TEMP_PREFIX
from contactsheet.runtime import Runtime
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    decoded,
    derivative_file,
    jobs,
    jpeg_series,
    opened_client,
    records,
    spawn_worker,
    stop_worker,
    thumbnail,
    upload,
    wait_for,
)
from tests.pipelinesupport import pipeline_settings

COUNT = 40
# Big enough that one photo takes a noticeable time, small enough to keep the test quick.
WIDTH, HEIGHT = 2000, 1334
IMAGE_WORKERS = {"CONTACTSHEET_PROCESSING__IMAGE_WORKERS": "2"}


def _generated(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        query = select(func.count()).where(
            Derivative.status == DerivativeStatus.GENERATED, Derivative.kind == "thumbnail"
        )
        return session.scalar(query) or 0


def _derivative_files(runtime: Runtime, folder: str) -> tuple[list[Path], list[Path]]:
    """(real derivative files, leftover temporary files) under .thumb and .preview."""
    real, temporary = [], []
    for folder_path in (runtime.paths.thumb_dir(folder), runtime.paths.preview_dir(folder)):
        for path in sorted(folder_path.iterdir()):
            (temporary if path.name.startswith(TEMP_PREFIX) else real).append(path)
    return real, temporary


def test_worker_killed_mid_batch_leaves_no_broken_derivative(
    data_dir: Path, database_url: str, tmp_path: Path
) -> None:
    files = jpeg_series(COUNT, WIDTH, HEIGHT)
    names = [name.rsplit(".", 1)[0] for name, _ in files]
    with opened_client(pipeline_settings(data_dir, database_url)) as (runtime, client):
        folder = create_project(client, "Crash")
        upload(client, folder, files)

        first = spawn_worker(runtime, tmp_path / "first.log", IMAGE_WORKERS)
        try:
            wait_for(lambda: _generated(runtime) >= 3, timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            stop_worker(first)
        made_before = _generated(runtime)
        assert 3 <= made_before < COUNT, f"killed too late to test anything ({made_before})"
        [batch] = jobs(runtime, "generate_derivatives")
        assert batch.status == "running", "nobody has noticed the crash yet"

        # Whatever is on disk under a real name is whole, and each record's file is there.
        real, temporary = _derivative_files(runtime, folder)
        for path in real:
            decoded(path.read_bytes())
        for name, by_kind in records(runtime, folder).items():
            for kind, record in by_kind.items():
                if record.status == "generated":
                    path = derivative_file(runtime, folder, name, kind)
                    assert path.stat().st_size == record.file_size, path

        second = spawn_worker(runtime, tmp_path / "second.log", IMAGE_WORKERS)
        try:
            finished = wait_for(
                lambda: (
                    (j := jobs(runtime, "generate_derivatives")[0]).status
                    in ("completed", "failed")
                    and j
                ),
                timeout=120,
                interval=0.2,
            )
        finally:
            stop_worker(second)
        assert finished.status == "completed", finished.last_error
        # The retry's progress counts its own photos, each once: none left pending forever.
        item_counts = runtime.queue.get(finished.id)[1]
        assert item_counts["pending"] == 0 and item_counts["failed"] == 0, item_counts
        assert item_counts["done"] + item_counts["skipped"] == COUNT, item_counts
        assert (finished.progress_done, finished.progress_total) == (COUNT, COUNT)
        assert finished.result is not None and finished.result["failed"] == 0
        assert finished.attempts == 2, "the crashed attempt counts"
        assert "stopped responding" in (finished.last_error or "")

        assert_all_generated(runtime, folder, names)
        real, temporary = _derivative_files(runtime, folder)
        assert sorted(p.name for p in real) == sorted(
            derivative_file(runtime, folder, n, k).name for n in names for k in KINDS
        )
        for name in names:
            answer = thumbnail(client, folder, name)
            assert answer.status_code == 200, (name, answer.text)
            assert (
                answer.content == derivative_file(runtime, folder, name, "thumbnail").read_bytes()
            )
            assert decoded(answer.content).size == (800, 534)
        # A temporary file left by the killed worker is no photo's derivative, and no request
        # can reach it.
        for path in temporary:
            assert thumbnail(client, folder, path.name).status_code == 404
