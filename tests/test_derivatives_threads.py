"""`processing.vips_concurrency` holds for every libvips render of a process, including a thumbnail
made again on request by the API, not only those of the worker's generation step."""

from __future__ import annotations

from pathlib import Path

import pyvips

from contactsheet.config import Settings
from tests.derivsupport import create_project, huge_png_bytes, opened_client, thumbnail, upload
from tests.threadprobe import measured


def test_a_thumbnail_made_on_request_uses_the_configured_libvips_threads(
    data_dir: Path, database_url: str
) -> None:
    before = pyvips.concurrency_get()
    # libvips' own default on a six-core server: one thread per core for every pipeline
    pyvips.concurrency_set(6)
    try:
        settings = Settings(
            data=data_dir,
            database_url=database_url,
            pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
            processing={"vips_concurrency": 1},  # type: ignore[arg-type]
        )
        big = huge_png_bytes(9000, 9000)
        with opened_client(settings) as (_runtime, client):
            folder = create_project(client, "Big")
            upload(client, folder, [("BIG.PNG", big)])
            # no job has run: the thumbnail is made by the API, on this request
            answer, seen = measured(lambda: thumbnail(client, folder, "BIG"))
        assert answer.status_code == 200, answer.text
        assert seen.mean <= 1.3, str(seen)
    finally:
        pyvips.concurrency_set(before)


def test_the_c_library_keeps_the_configured_number_of_heaps() -> None:
    """glibc takes the cap (this machine runs on glibc); 0 leaves its default alone."""
    from contactsheet.imaging.memory import limit_arenas

    assert limit_arenas(2) is True
    assert limit_arenas(0) is False
