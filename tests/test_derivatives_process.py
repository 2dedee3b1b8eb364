"""POST /api/photos/process (docs/derivatives.md): `force: true` remakes derivatives
even when the cache is valid; without it a valid cache is respected; dry runs plan and queue
nothing; more than 2,000 items is refused; unknown photos are reported, the rest go on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from contactsheet.runtime import Runtime
from tests import imagefactory
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    derivative_file,
    distinct_jpegs,
    job_count,
    jobs,
    photo_ids,
    records,
    run_jobs,
    upload,
)

FILES = distinct_jpegs(3, 480, 360)
NAMES = [name.rsplit(".", 1)[0] for name, _ in FILES]


def _stats(runtime: Runtime, folder: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    stats = {}
    for name in NAMES:
        for kind in KINDS:
            stat = derivative_file(runtime, folder, name, kind).stat()
            stats[name, kind] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return stats


def _process(admin: TestClient, ids: list[int], **options: Any) -> dict[str, Any]:
    response = admin.post(
        "/api/photos/process", json={"items": [{"photo_id": i} for i in ids], **options}
    )
    expected = 200 if options.get("dry_run") else 202
    assert response.status_code == expected, response.text
    return response.json()  # type: ignore[no-any-return]


def _ready(admin: TestClient, runtime: Runtime, name: str = "Process") -> tuple[str, list[int]]:
    folder = create_project(admin, name)
    upload(admin, folder, FILES)
    run_jobs(runtime)
    assert_all_generated(runtime, folder, NAMES)
    return folder, sorted(photo_ids(runtime, folder).values())


def _last_result(runtime: Runtime) -> dict[str, Any]:
    last = jobs(runtime, "generate_derivatives")[-1]
    assert last.status == "completed", last.last_error
    return dict(last.result or {})


def test_forced_regeneration_rewrites_valid_derivatives(
    admin: TestClient, runtime: Runtime
) -> None:
    folder, ids = _ready(admin, runtime)
    before_stats, before = _stats(runtime, folder), records(runtime, folder)

    body = _process(admin, ids, force=True)
    assert body["failures"] == [] and body["queued"] == 3
    [started] = body["jobs"]
    assert started["job_id"] and started["task_id"]
    queued = runtime.queue.get(started["job_id"])[0]
    assert queued.type == "generate_derivatives" and queued.payload["force"] is True
    assert _stats(runtime, folder) == before_stats, "nothing happens before a worker runs it"

    run_jobs(runtime)
    assert _last_result(runtime)["generated"] == 3
    after_stats, after = _stats(runtime, folder), records(runtime, folder)
    for key, (ino, mtime_ns, _size) in before_stats.items():
        assert after_stats[key][:2] != (ino, mtime_ns), f"{key} was not rewritten"
    for name in NAMES:
        for kind in KINDS:
            old, new = before[name][kind], after[name][kind]
            assert new.status == "generated" and new.id == old.id
            assert old.generated_at is not None and new.generated_at is not None
            assert new.generated_at > old.generated_at
    assert_all_generated(runtime, folder, NAMES)


def test_unforced_processing_respects_a_valid_cache(admin: TestClient, runtime: Runtime) -> None:
    folder, ids = _ready(admin, runtime)
    before_stats, before = _stats(runtime, folder), records(runtime, folder)

    body = _process(admin, ids, force=False)
    assert len(body["jobs"]) == 1
    run_jobs(runtime)
    result = _last_result(runtime)
    assert result["cache_hits"] == 3 and result["generated"] == 0
    assert _stats(runtime, folder) == before_stats, "files untouched"
    assert records(runtime, folder) == before

    # Unforced, but one thumbnail gone: only that one is made.
    lost = derivative_file(runtime, folder, NAMES[1], "thumbnail")
    lost.unlink()
    _process(admin, ids)
    run_jobs(runtime)
    result = _last_result(runtime)
    assert result["generated"] == 1 and result["cache_hits"] == 2
    after_stats = _stats(runtime, folder)
    for key, value in before_stats.items():
        assert (after_stats[key] == value) is (key != (NAMES[1], "thumbnail")), key
    assert_all_generated(runtime, folder, NAMES)


def test_dry_run_plans_and_queues_nothing(admin: TestClient, runtime: Runtime) -> None:
    folder, ids = _ready(admin, runtime)
    derivative_file(runtime, folder, NAMES[0], "preview").unlink()
    jobs_before, stats = job_count(runtime), records(runtime, folder)

    plain = _process(admin, [*ids, 987654], dry_run=True)
    assert plain["dry_run"] is True
    plans = {int(k): v for k, v in plain["plans"].items()}
    assert plans == {
        ids[0]: {"preview": "file_missing", "thumbnail": "cache_hit"},
        ids[1]: {"preview": "cache_hit", "thumbnail": "cache_hit"},
        ids[2]: {"preview": "cache_hit", "thumbnail": "cache_hit"},
    }
    assert plain["failures"] == [{"photo_id": 987654, "error": "no such photo"}]
    forced = _process(admin, ids, dry_run=True, force=True)
    assert {tuple(sorted(p.values())) for p in forced["plans"].values()} == {("forced", "forced")}

    assert job_count(runtime) == jobs_before, "a dry run queues nothing"
    assert records(runtime, folder) == stats
    assert not derivative_file(runtime, folder, NAMES[0], "preview").exists()


def test_more_than_2000_items_or_none_is_refused(admin: TestClient, runtime: Runtime) -> None:
    jobs_before = job_count(runtime)
    for items in (list(range(1, 2002)), []):
        response = admin.post(
            "/api/photos/process",
            json={"items": [{"photo_id": i} for i in items], "force": True},
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_input"
    # Exactly 2,000 (all unknown here) is accepted and reported item by item.
    body = _process(admin, list(range(1, 2001)), force=True)
    assert len(body["failures"]) == 2000 and body["jobs"] == []
    assert job_count(runtime) == jobs_before


def test_unknown_photos_are_reported_without_failing_the_rest(
    admin: TestClient, runtime: Runtime
) -> None:
    folder, ids = _ready(admin, runtime)
    other = create_project(admin, "Other")
    upload(admin, other, [("ELSE.JPG", imagefactory.variant(FILES[0][1], "else"))])
    run_jobs(runtime)
    other_id = photo_ids(runtime, other)["ELSE"]
    before_stats = _stats(runtime, folder)
    else_path = derivative_file(runtime, other, "ELSE", "thumbnail")
    else_stat = os.stat(else_path)

    body = _process(admin, [ids[0], 555_555, other_id, 555_556], force=True)
    assert sorted(body["failures"], key=lambda f: f["photo_id"]) == [
        {"photo_id": 555_555, "error": "no such photo"},
        {"photo_id": 555_556, "error": "no such photo"},
    ]
    assert body["queued"] == 2
    assert len(body["jobs"]) == 2, "one task per project"
    run_jobs(runtime)
    after_stats = _stats(runtime, folder)
    assert after_stats[NAMES[0], "thumbnail"][:2] != before_stats[NAMES[0], "thumbnail"][:2]
    assert after_stats[NAMES[1], "thumbnail"] == before_stats[NAMES[1], "thumbnail"]
    new_stat = Path(else_path).stat()
    assert (new_stat.st_ino, new_stat.st_mtime_ns) != (else_stat.st_ino, else_stat.st_mtime_ns)
    assert all(j.status == "completed" for j in jobs(runtime, "generate_derivatives"))

    # A photo of a deleted project is unknown too.
    assert admin.delete(f"/api/projects/{other}").status_code == 200
    body = _process(admin, [other_id, ids[1]], force=True)
    assert body["failures"] == [{"photo_id": other_id, "error": "no such photo"}]
    assert body["queued"] == 1
