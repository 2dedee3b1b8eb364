"""Payloads that name a library's worth of photos (cache validation's or discovery's output, a
commit's regeneration list): the steps that take them never bind more values to one statement
than either engine allows (SQLite's stock build: 32,766; PostgreSQL's protocol: 65,535)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from contactsheet.db.chunks import IN_LIST_LIMIT, SQLITE_MAX_PARAMETERS, chunked
from contactsheet.db.tables import JobItem
from contactsheet.runtime import Runtime
from tests.ingestsupport import (
    Samples,
    jobs,
    make_project,
    make_samples,
    photos,
    run_all,
    start,
    store,
)

# Beyond both engines' limits; the ids of photos deleted since, around three that exist.
MISSING_IDS = 70_000


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


def _three_photos(runtime: Runtime, samples: Samples) -> list[int]:
    project = make_project(runtime, "Few of many")
    files = {"A.JPG": samples.jpg, "B.JPG": samples.jpg_other, "C.PNG": samples.png}
    store(runtime, project, files)
    run_all(runtime)
    return sorted(photo.id for photo in photos(runtime, project.id).values())


def _library_of_ids(real: list[int]) -> list[int]:
    return sorted(real + list(range(10_000_000, 10_000_000 + MISSING_IDS)))


def test_generation_takes_a_library_of_photo_ids(runtime: Runtime, samples: Samples) -> None:
    real = _three_photos(runtime, samples)
    ids = _library_of_ids(real)
    assert len(ids) > 65_535
    queued = start(runtime, "generate_derivatives", payload={"photo_ids": ids, "force": True})
    run_all(runtime)
    [done] = [j for j in jobs(runtime, "generate_derivatives") if j.id == queued.id]
    assert done.status == "completed", done.last_error
    assert done.result == {"generated": 3, "cache_hits": 0, "failed": 0, "gone": 0}
    with runtime.db.read() as session:
        items = sorted(session.scalars(select(JobItem.photo_id).where(JobItem.job_id == done.id)))
    assert items == real


def test_metadata_regeneration_takes_a_library_of_photo_ids(
    runtime: Runtime, samples: Samples
) -> None:
    real = _three_photos(runtime, samples)
    queued = start(runtime, "regenerate_metadata", payload={"photo_ids": _library_of_ids(real)})
    run_all(runtime)
    [done] = [j for j in jobs(runtime, "regenerate_metadata") if j.id == queued.id]
    assert done.status == "completed", done.last_error
    assert done.result is not None and done.result["updated"] == 3, done.result


def test_sqlite_connections_have_the_stock_parameter_limit(runtime: Runtime) -> None:
    """Builds differ (Debian's allows 250,000): every connection gets the stock limit, so a
    statement that would fail on a stock build fails everywhere, in tests first."""
    if not runtime.db.is_sqlite:
        pytest.skip("SQLite only")
    for engine in (runtime.db.writer_engine, runtime.db.reader_engine):
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == SQLITE_MAX_PARAMETERS


def test_chunks_stay_below_both_limits() -> None:
    values = list(range(2 * IN_LIST_LIMIT + 1))
    parts = list(chunked(values))
    assert [len(p) for p in parts] == [IN_LIST_LIMIT, IN_LIST_LIMIT, 1]
    assert [v for p in parts for v in p] == values
    assert list(chunked([])) == []
    assert IN_LIST_LIMIT < SQLITE_MAX_PARAMETERS < 65_535


def test_chunked_takes_any_iterable() -> None:
    assert list(chunked(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
