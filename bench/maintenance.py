"""One `maintenance_global` run over a large, healthy library, on SQLite (and PostgreSQL).

    python bench/maintenance.py [--photos 100000] [--projects 100] [--postgres-url URL]

Builds `--photos` photos over `--projects` projects in a temporary data folder: rows with bulk
inserts, and on disk each photo's small real JPEG original and its two derivative files, recorded as
made, so the library is healthy. Then runs `maintenance_global` twice in-process (the second run on
the healthy library must change nothing) while a thread lists photos every 100 ms through the API.
Prints each step's time, the peak RSS, the listing p50/p95 during the run, with the targets:
`cache_validation` and `manifest_check` under 10 s for 100,000 photos, a second run under 20 s, the
listing p95 under 100 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import io
import os
import resource
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

for _name in list(os.environ):
    if _name.startswith("CONTACTSHEET_"):
        del os.environ[_name]
os.environ["CONTACTSHEET_CONFIG"] = "/nonexistent/contactsheet.toml"

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from contactsheet.app import create_app  # noqa: E402
from contactsheet.auth.bootstrap import ensure_admin_password  # noqa: E402
from contactsheet.catalog.projects import create_project  # noqa: E402
from contactsheet.catalog.task_requests import start_maintenance  # noqa: E402
from contactsheet.config import Settings  # noqa: E402
from contactsheet.db.migrate import upgrade  # noqa: E402
from contactsheet.db.tables import Derivative, Job, Photo, PhotoFile  # noqa: E402
from contactsheet.derivatives.params import derivative_path, params_key, specs  # noqa: E402
from contactsheet.handlers import default_registry  # noqa: E402
from contactsheet.library.names import name_key  # noqa: E402
from contactsheet.runtime import Runtime, open_runtime  # noqa: E402
from contactsheet.workers.runner import Runner, run_until_idle  # noqa: E402

PASSWORD = "bench password 1"
BATCH = 5000


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(out, "JPEG", quality=60)
    return out.getvalue()


def build(runtime: Runtime, photos: int, projects: int) -> None:
    original, thumb = _jpeg((64, 48)), _jpeg((32, 24))
    wanted = specs(runtime.settings.processing)
    keys = {kind: params_key(spec) for kind, spec in wanted.items()}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    per_project = photos // projects
    for p in range(projects):
        project = create_project(runtime.db, runtime.paths, runtime.tenant, f"Shoot {p:03d}")
        folder = runtime.paths.project_dir(project.folder)
        photo_rows, file_rows, names = [], [], []
        for i in range(per_project):
            basename = f"P{p:03d}_{i:06d}"
            name = f"{basename}.JPG"
            (folder / name).write_bytes(original)
            for spec in wanted.values():
                derivative_path(runtime.paths, project.folder, basename, spec).write_bytes(thumb)
            names.append(basename)
            photo_rows.append(
                {
                    "tenant": runtime.tenant,
                    "project_id": project.id,
                    "basename": basename,
                    "basename_key": name_key(basename),
                    "filenames": [name],
                    "jpg_available": True,
                    "raw_available": False,
                    "other_available": False,
                    "keep_jpg": True,
                    "keep_raw": False,
                    "file_size": len(original),
                    "taken_at": start + timedelta(seconds=p * per_project + i),
                    "exif": {},
                    "visibility": "private",
                    "rating": 0,
                    "pick": "unflagged",
                    "created_at": start,
                    "updated_at": start,
                }
            )
        with runtime.db.write() as session:
            for chunk in range(0, len(photo_rows), BATCH):
                session.execute(insert(Photo), photo_rows[chunk : chunk + BATCH])
            ids = dict(
                session.execute(
                    select(Photo.basename, Photo.id).where(Photo.project_id == project.id)
                ).all()
            )
            derivative_rows = []
            for basename in names:
                file_rows.append(
                    {
                        "photo_id": ids[basename],
                        "tenant": runtime.tenant,
                        "filename": f"{basename}.JPG",
                        "filename_key": name_key(f"{basename}.JPG"),
                        "size": len(original),
                        "created_at": start,
                    }
                )
                for kind in wanted:
                    derivative_rows.append(
                        {
                            "photo_id": ids[basename],
                            "kind": kind,
                            "status": "generated",
                            "source_name": f"{basename}.JPG",
                            "source_size": len(original),
                            "params_key": keys[kind],
                            "params": {},
                            "file_size": len(thumb),
                            "generated_at": start,
                            "updated_at": start,
                        }
                    )
            for chunk in range(0, len(file_rows), BATCH):
                session.execute(insert(PhotoFile), file_rows[chunk : chunk + BATCH])
            for chunk in range(0, len(derivative_rows), BATCH):
                session.execute(insert(Derivative), derivative_rows[chunk : chunk + BATCH])
    with runtime.db.write() as session:
        session.execute(text("ANALYZE"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def list_photos(client: TestClient) -> float:
    began = time.perf_counter()
    response = client.get("/api/photos", params={"limit": 100})
    assert response.status_code == 200, response.text
    return (time.perf_counter() - began) * 1000


def idle_listing(client: TestClient, requests: int = 50) -> list[float]:
    """The same listing with nothing else running: the floor the run's latencies compare with."""
    list_photos(client)
    return [list_photos(client) for _ in range(requests)]


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")


def run_once(
    runtime: Runtime, client: TestClient
) -> tuple[dict[str, float], dict[str, dict], float, list[float]]:
    registry = default_registry(runtime.settings.pipeline)
    latencies: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            latencies.append(list_photos(client))
            stop.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    job = start_maintenance(runtime, registry, "maintenance_global", None)
    began = time.perf_counter()
    poller.start()
    run_until_idle(Runner(runtime, runtime.queue, registry), timeout=3600)
    total = time.perf_counter() - began
    stop.set()
    poller.join()
    with runtime.db.read() as session:
        jobs = list(session.scalars(select(Job).where(Job.task_id == job.task_id).order_by(Job.id)))
    times = {
        j.type: (j.finished_at - j.started_at).total_seconds()
        for j in jobs
        if j.started_at and j.finished_at
    }
    results = {j.type: j.result or {} for j in jobs}
    return times, results, total, latencies


def bench(engine: str, url: str, data: Path, photos: int, projects: int) -> None:
    settings = Settings(
        data=data,
        database_url=url,
        pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
    )
    runtime = open_runtime(settings)
    upgrade(runtime.db)
    ensure_admin_password(runtime.db, PASSWORD)
    began = time.perf_counter()
    build(runtime, photos, projects)
    print(
        f"\n{engine}: built {photos:,} photos in {projects} projects "
        f"in {time.perf_counter() - began:.0f} s"
    )
    with TestClient(create_app(runtime)) as client:
        login = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        idle = idle_listing(client)
        before = rss_mb()
        times, _, total, latencies = run_once(runtime, client)
        peak = rss_mb()
        second_times, second, second_total, _ = run_once(runtime, client)
    changed = {s: {k: v for k, v in r.get("changed", {}).items() if v} for s, r in second.items()}
    changed = {s: c for s, c in changed.items() if c}
    scale = photos / 100_000
    print(f"{'step':<26}{'first run s':>12}{'second run s':>14}   target")
    for step, seconds in times.items():
        target = f"< {10 * scale:g} s" if step in ("cache_validation", "manifest_check") else ""
        print(f"{step:<26}{seconds:>12.2f}{second_times.get(step, 0):>14.2f}   {target}")
    print(f"{'whole run':<26}{total:>12.2f}{second_total:>14.2f}   second < {20 * scale:g} s")
    print(
        f"listing during the run: {len(latencies)} requests, "
        f"p50 {statistics.median(latencies):.0f} ms, p95 {p95(latencies):.0f} ms, "
        f"max {max(latencies):.0f} ms (target p95 < 100 ms); with nothing running: "
        f"p50 {statistics.median(idle):.0f} ms, p95 {p95(idle):.0f} ms"
    )
    print(f"peak RSS {peak:.0f} MB (ru_maxrss; {before:.0f} MB before the run)")
    print(f"second run changed nothing: {'yes' if not changed else 'no: ' + str(changed)}")
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="cs-bench-maint-") as folder:
            data = Path(folder) / "data"
            if engine == "sqlite":
                bench(
                    engine,
                    f"sqlite:///{data / 'db' / 'user_0.sqlite'}",
                    data,
                    args.photos,
                    args.projects,
                )
                continue
            server = make_url(args.postgres_url)
            name = f"cs_bench_{uuid.uuid4().hex[:10]}"
            conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            except psycopg.OperationalError as exc:
                print(f"\npostgresql skipped: {exc}")
                continue
            try:
                bench(
                    engine,
                    server.set(database=name).render_as_string(hide_password=False),
                    data,
                    args.photos,
                    args.projects,
                )
            finally:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
