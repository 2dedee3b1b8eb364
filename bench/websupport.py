"""What the web benchmark and the screenshot script share: a real `contactsheet serve` in a
subprocess on a temporary data folder, a logged-in Chromium, and a project of any size seeded
straight into the database with real derivative files that the server trusts as generated.

Not a benchmark itself; `bench/web.py` and `scripts/screenshots.py` import it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The browser as the web UI's tests launch it (the flags keep Chromium off the internet).
from tests.browsersupport import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CONTACTSHEET_CORPUS", ROOT.parent / "shared" / "corpus"))
PASSWORD = "bench password"


def clean_environment() -> dict[str, str]:
    """The environment without a developer's own CONTACTSHEET_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTSHEET_")}
    env["CONTACTSHEET_CONFIG"] = "/nonexistent/contactsheet.toml"
    return env


def server_environment(data: Path, port: int, **extra: str) -> dict[str, str]:
    env = clean_environment()
    env.update(
        {
            "CONTACTSHEET_DATA": str(data),
            "CONTACTSHEET_PORT": str(port),
            "CONTACTSHEET_ADMIN_PASSWORD": PASSWORD,
            "CONTACTSHEET_LOG_LEVEL": "info",
            **extra,
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    data: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_count(self, needle: str) -> int:
        return self.log.read_text(errors="replace").count(needle)


@contextmanager
def serve(data: Path, *, log: Path, timeout: float = 60.0, **settings: str) -> Iterator[Server]:
    """`contactsheet serve` on a free port with `data` as its data folder (SQLite, the default
    configuration, logging at INFO into `log`), until the block ends."""
    import httpx

    port = free_port()
    env = server_environment(data, port, **settings)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "contactsheet", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log}")
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start within {timeout} s; see {log}")
            time.sleep(0.1)
        yield Server(url, data, log, process)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def login(http: Any, url: str) -> None:
    answer = http.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD})
    answer.raise_for_status()


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def logged_in_page(chromium: Any, url: str, **context_options: Any) -> Any:
    """A page in a fresh context whose cookies hold an admin session."""
    context_options.setdefault("viewport", {"width": 1440, "height": 900})
    context = chromium.new_context(base_url=url, **context_options)
    context.set_default_timeout(30_000)
    answer = context.request.post(
        f"{url}/api/auth/login", data={"username": "admin", "password": PASSWORD}
    )
    if not answer.ok:
        raise RuntimeError(f"login failed: {answer.status} {answer.text()}")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.errors = errors  # type: ignore[attr-defined]
    return page


# --- a big project straight into the database -------------------------------------------------


def corpus_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    lines = manifest.read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def camera_jpegs(count: int, *, min_pixels: int = 1_000_000) -> list[dict[str, str]]:
    """`count` real camera JPEGs of at least `min_pixels`, one per camera model, upright."""
    chosen: list[dict[str, str]] = []
    models: set[str] = set()
    for row in corpus_rows():
        if not row["file"].startswith("jpeg/") or not row["file"].lower().endswith(
            (".jpg", ".jpeg")
        ):
            continue
        try:
            width, height = (int(v) for v in row["dimensions"].split("x"))
        except ValueError:
            continue
        if width * height < min_pixels or row["model"] in models or "tiny" in row.get("note", ""):
            continue
        if row["orientation"] not in ("", "1", "Horizontal (normal)"):
            continue
        models.add(row["model"])
        chosen.append(row)
    chosen.sort(key=lambda r: r["file"])
    return chosen[:count]


@dataclass(frozen=True)
class Sample:
    """One distinct source and its derivatives, made once; every seeded photo links to one."""

    source: Path
    width: int
    height: int
    make: str
    model: str
    fingerprint: str
    thumbnail: Path
    preview: Path
    rendered: dict[str, Any]  # kind -> Rendered
    thumbhash: str | None


def make_samples(work: Path, settings: Any, count: int) -> list[Sample]:
    """Real derivatives, rendered by the app's own engine at the configured sizes and formats."""
    from contactsheet.derivatives.params import specs
    from contactsheet.imaging import engine
    from contactsheet.imaging.encode import thumbhash_of
    from contactsheet.imaging.fingerprint import fingerprint

    work.mkdir(parents=True, exist_ok=True)
    wanted = specs(settings.processing)
    samples = []
    for index, row in enumerate(camera_jpegs(count)):
        source = work / f"source{index:02d}.jpg"
        shutil.copyfile(CORPUS / row["file"], source)  # a copy: the corpus is never touched
        made = engine.render(
            source,
            list(wanted.values()),
            max_pixels=settings.processing.max_pixels,
            timeout=settings.processing.decode_timeout_seconds,
        )
        rendered = {r.kind: r for r in made}
        thumbnail = work / f"thumb{index:02d}.{rendered['thumbnail'].extension.lstrip('.')}"
        preview = work / f"preview{index:02d}.{rendered['preview'].extension.lstrip('.')}"
        thumbnail.write_bytes(rendered["thumbnail"].data)
        preview.write_bytes(rendered["preview"].data)
        width, height = (int(v) for v in row["dimensions"].split("x"))
        samples.append(
            Sample(
                source,
                width,
                height,
                row["make"],
                row["model"],
                fingerprint(source),
                thumbnail,
                preview,
                rendered,
                thumbhash_of(rendered["thumbnail"]),
            )
        )
    if not samples:
        raise RuntimeError(f"no camera JPEGs found in {CORPUS}")
    return samples


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def seed_project(
    data: Path,
    name: str,
    photos: int,
    *,
    samples: int = 12,
    batch: int = 5000,
    thumbnail_size: int | None = None,
) -> dict[str, Any]:
    """A project of `photos` photos: catalog rows inserted in bulk, each photo's original and
    derivative files hard links to one of a few real samples, and derivative records that match
    those files (status generated, size, parameters, source fingerprint), so the server serves
    them as they are. Returns {folder, project_id, ids (listing order), seconds, samples}."""
    from sqlalchemy import insert

    from contactsheet.auth.bootstrap import ensure_admin_password
    from contactsheet.catalog.projects import create_project
    from contactsheet.config import Settings
    from contactsheet.db.enums import DerivativeStatus
    from contactsheet.db.tables import Derivative, Photo, PhotoFile
    from contactsheet.derivatives.params import derivative_path, params_key, params_of, specs
    from contactsheet.library.names import name_key
    from contactsheet.runtime import open_runtime

    started = time.perf_counter()
    for key in list(os.environ):
        if key.startswith("CONTACTSHEET_"):
            del os.environ[key]
    os.environ["CONTACTSHEET_CONFIG"] = "/nonexistent/contactsheet.toml"
    processing = {"thumbnail_size": thumbnail_size} if thumbnail_size else {}
    settings = Settings(data=data, processing=processing)  # type: ignore[arg-type]
    runtime = open_runtime(settings)
    try:
        ensure_admin_password(runtime.db, PASSWORD)
        made = make_samples(data.parent / "samples", settings, samples)
        project = create_project(runtime.db, runtime.paths, runtime.tenant, name)
        folder = project.folder
        wanted = specs(settings.processing)
        project_dir = runtime.paths.project_dir(folder)
        # Where each kind's files go, asked once: the checked path per file costs more than the
        # link (the basenames here are plain, so joining them is what the check would return).
        folders = {}
        for kind, spec in wanted.items():
            probe = derivative_path(runtime.paths, folder, "x", spec)
            probe.parent.mkdir(exist_ok=True)
            folders[kind] = (probe.parent, probe.suffix)
        base = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
        now = datetime.now(UTC)
        photo_table = Photo.__table__
        ids: list[int] = []
        for first in range(0, photos, batch):
            rows, files, records = [], [], []
            for index in range(first, min(photos, first + batch)):
                sample = made[index % len(made)]
                basename = f"DSC{index:05d}"
                filename = f"{basename}.JPG"
                _link(sample.source, project_dir / filename)
                for kind, (where, suffix) in folders.items():
                    source = sample.thumbnail if kind == "thumbnail" else sample.preview
                    _link(source, where / f"{basename}{suffix}")
                rows.append(
                    {
                        "tenant": runtime.tenant,
                        "project_id": project.id,
                        "basename": basename,
                        "basename_key": name_key(basename),
                        "filenames": [filename],
                        "jpg_available": True,
                        "raw_available": False,
                        "other_available": False,
                        "keep_jpg": True,
                        "keep_raw": False,
                        "file_size": sample.source.stat().st_size,
                        "taken_at": base + timedelta(seconds=2 * index),
                        "orientation": 1,
                        "width": sample.width,
                        "height": sample.height,
                        "make": sample.make,
                        "model": sample.model,
                        "exposure_time": 1 / 250,
                        "f_number": 4.0,
                        "iso": 200,
                        "focal_length": 35.0,
                        "exif": {},
                        "thumbhash": sample.thumbhash,
                        "rating": (index * 7) % 6 if index % 5 == 0 else 0,
                        "pick": "picked" if index % 11 == 0 else "unflagged",
                        "visibility": "private",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            with runtime.db.write() as session:
                connection = session.connection()
                new_ids = (
                    connection.execute(
                        insert(photo_table).returning(
                            photo_table.c.id, sort_by_parameter_order=True
                        ),
                        rows,
                    )
                    .scalars()
                    .all()
                )
                for offset, (photo_id, row) in enumerate(zip(new_ids, rows, strict=True)):
                    sample = made[(first + offset) % len(made)]
                    files.append(
                        {
                            "photo_id": photo_id,
                            "tenant": runtime.tenant,
                            "filename": row["filenames"][0],
                            "filename_key": name_key(row["filenames"][0]),
                            "size": row["file_size"],
                            "created_at": now,
                        }
                    )
                    for spec in wanted.values():
                        rendered = sample.rendered[spec.kind]
                        records.append(
                            {
                                "photo_id": photo_id,
                                "kind": spec.kind,
                                "status": DerivativeStatus.GENERATED,
                                "source_name": row["filenames"][0],
                                "source_fingerprint": sample.fingerprint,
                                "source_size": row["file_size"],
                                "params_key": params_key(spec),
                                "params": params_of(spec)
                                | {
                                    "decoded_with": rendered.decoded_with,
                                    "width": rendered.width,
                                    "height": rendered.height,
                                },
                                "file_size": len(rendered.data),
                                "generated_at": now,
                                "updated_at": now,
                            }
                        )
                connection.execute(insert(PhotoFile.__table__), files)
                connection.execute(insert(Derivative.__table__), records)
                ids.extend(new_ids)
        with runtime.db.write() as session:
            from sqlalchemy import text

            session.execute(text("ANALYZE"))
    finally:
        runtime.close()
    # The listing's default order: taken_at descending, so the newest (last inserted) first.
    return {
        "folder": folder,
        "project_id": project.id,
        "ids": list(reversed(ids)),
        "seconds": time.perf_counter() - started,
        "samples": made,
        "seeded_at": now,
    }


def derivative_state(data: Path) -> tuple[int, str | None]:
    """(derivative records, the latest write to any): a regeneration rewrites its record."""
    import sqlite3

    database = next((data / "db").glob("*.sqlite"))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        count, latest = connection.execute(
            "SELECT count(*), max(updated_at) FROM derivatives"
        ).fetchone()
    return int(count), latest
