"""Shared pieces for catalog tests: a synthetic catalog inserted straight into the database, a
Python model of the listing's filters and sorts, cursor walkers, uploads, jobs and disk snapshots.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import insert, select

from contactsheet.catalog.projects import create_project
from contactsheet.db.enums import Pick, ProjectStatus, TaskStatus, Visibility
from contactsheet.db.tables import Photo, PhotoTag, Project, Tag
from contactsheet.handlers import default_registry
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime
from contactsheet.workers.runner import Runner, run_until_idle

BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SORTS = ("taken_at", "filename", "size", "rating")
SORT_ATTR = {
    "taken_at": "taken_at",
    "filename": "basename_key",
    "size": "file_size",
    "rating": "rating",
}
TAG_NAMES = ("Bride", "Groom", "Cake", "Dance")


# --- a synthetic catalog ----------------------------------------------------------------------


@dataclass
class Row:
    """What the model knows of one photo (as inserted)."""

    id: int
    project_id: int
    folder: str
    basename: str
    basename_key: str
    jpg_available: bool
    raw_available: bool
    other_available: bool
    keep_jpg: bool
    keep_raw: bool
    file_size: int
    taken_at: datetime
    width: int | None
    height: int | None
    orientation: int | None
    rating: int
    pick: str
    visibility: str
    tags: set[str] = field(default_factory=set)  # tag name keys


@dataclass
class Catalog:
    projects: dict[int, str]  # id -> folder (active)
    rows: list[Row]
    archived_project_id: int | None = None

    def in_project(self, project_id: int | None) -> list[Row]:
        return [r for r in self.rows if project_id is None or r.project_id == project_id]


def _photo_values(rng: random.Random, index: int, names: list[str]) -> dict[str, Any]:
    kind = rng.choices(["jpg", "raw", "both", "other", "other+jpg"], [30, 20, 35, 10, 5])[0]
    jpg = kind in ("jpg", "both", "other+jpg")
    raw = kind in ("raw", "both")
    other = kind in ("other", "other+jpg")
    keep_jpg = jpg and rng.random() < 0.7
    keep_raw = raw and rng.random() < 0.7
    basename = names[index]
    extensions = [".JPG"] * jpg + [".ARW"] * raw + [".png"] * other
    # Few distinct instants, sizes and ratings: many ties for every sort.
    taken = BASE_TIME + timedelta(minutes=rng.randrange(40))
    if rng.random() < 0.2:
        taken += timedelta(microseconds=rng.choice([1, 250_000, 999_999]))
    width, height = rng.choice(
        [(6000, 4000), (4000, 6000), (3000, 3000), (None, None), (6000, None), (1, 2)]
    )
    return {
        "basename": basename,
        "basename_key": name_key(basename),
        "filenames": sorted(basename + e for e in extensions),
        "jpg_available": jpg,
        "raw_available": raw,
        "other_available": other,
        "keep_jpg": keep_jpg,
        "keep_raw": keep_raw,
        "file_size": rng.choice([1000, 2000, 2000, 5000, 123_456_789_012]),
        "taken_at": taken,
        "width": width,
        "height": height,
        "orientation": rng.choice([None, 1, 1, 1, 3, 5, 6, 6, 7, 8]),
        "rating": rng.choice([0, 0, 0, 1, 3, 3, 5]),
        "pick": rng.choice(list(Pick)).value,
        "visibility": rng.choice(list(Visibility)).value,
    }


def basenames(rng: random.Random, count: int, shared: list[str]) -> list[str]:
    """Distinct names per project (by key); `shared` ones recur across projects in any case."""
    names: dict[str, str] = {}
    for name in shared:
        cased = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
        names[name_key(cased)] = cased
    while len(names) < count:
        prefix = rng.choice(["DSC", "dsc", "IMG_", "img_", "_MG", "P"])
        name = f"{prefix}{rng.randrange(10000):04d}"
        names.setdefault(name_key(name), name)
    chosen = list(names.values())[:count]
    rng.shuffle(chosen)
    return chosen


def build_catalog(
    runtime: Runtime, total: int, *, projects: int = 3, seed: int = 7, archived: bool = True
) -> Catalog:
    """`total` photos over `projects` active projects (plus an archived one that must never show),
    with tags named alike in different case across projects."""
    rng = random.Random(seed)
    made = [
        create_project(runtime.db, runtime.paths, runtime.tenant, f"Listing {i}")
        for i in range(projects + (1 if archived else 0))
    ]
    folders = {p.id: p.folder for p in made}
    archived_id = made[-1].id if archived else None
    shared = [f"Shared{i:02d}" for i in range(12)]
    per_project = {p.id: 0 for p in made}
    counts = [total // projects + (1 if i < total % projects else 0) for i in range(projects)]
    plan: list[tuple[int, int]] = []
    for project, n in zip(made[:projects], counts, strict=True):
        plan += [(project.id, i) for i in range(n)]
    if archived_id is not None:
        plan += [(archived_id, i) for i in range(20)]
    names = {p.id: basenames(rng, max(counts) + 20, shared) for p in made}
    values = []
    for project_id, _ in plan:
        index = per_project[project_id]
        per_project[project_id] += 1
        row = _photo_values(rng, index, names[project_id])
        values.append(
            {
                "tenant": runtime.tenant,
                "project_id": project_id,
                "exif": {},
                "created_at": BASE_TIME,
                "updated_at": BASE_TIME,
                **row,
            }
        )
    rows: list[Row] = []
    with runtime.db.write() as session:
        table = Photo.__table__
        # Core, not the ORM's bulk insert (which splits the batch by which values are None).
        ids = (
            session.connection()
            .execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), values)
            .scalars()
            .all()
        )
        tags: dict[tuple[int, str], int] = {}
        for project in made:
            for position, tag_name in enumerate(TAG_NAMES):
                # The same tag in another case in another project: filters match by key.
                shown = tag_name.lower() if (project.id + position) % 2 else tag_name
                tag = Tag(
                    tenant=runtime.tenant,
                    project_id=project.id,
                    name=shown,
                    name_key=name_key(shown),
                )
                session.add(tag)
                session.flush()
                tags[(project.id, name_key(shown))] = tag.id
        links = []
        for photo_id, value in zip(ids, values, strict=True):
            chosen = {t for t in TAG_NAMES if rng.random() < 0.3}
            row = Row(
                id=photo_id,
                folder=folders[value["project_id"]],
                **{k: v for k, v in value.items() if k in Row.__dataclass_fields__},
            )
            for tag_name in chosen:
                key = name_key(tag_name)
                row.tags.add(key)
                links.append({"photo_id": photo_id, "tag_id": tags[(row.project_id, key)]})
            rows.append(row)
        if links:
            session.connection().execute(insert(PhotoTag.__table__), links)
        if archived_id is not None:
            session.get_one(Project, archived_id).status = ProjectStatus.ARCHIVED
    active = [r for r in rows if r.project_id != archived_id]
    return Catalog({p.id: p.folder for p in made[:projects]}, active, archived_id)


# --- the model of the listing -----------------------------------------------------------------


def _aware(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _effective(row: Row) -> tuple[int | None, int | None]:
    if row.orientation in (5, 6, 7, 8):
        return row.height, row.width
    return row.width, row.height


def matches(row: Row, params: Mapping[str, Any]) -> bool:
    if params.get("date_from") is not None and row.taken_at < _aware(params["date_from"]):
        return False
    if params.get("date_to") is not None and row.taken_at > _aware(params["date_to"]):
        return False
    jpg, raw, other = row.jpg_available, row.raw_available, row.other_available
    file_type = params.get("file_type")
    if file_type == "jpg" and not (jpg and not raw):
        return False
    if file_type == "raw" and not (raw and not jpg):
        return False
    if file_type in ("jpg+raw", "both") and not (jpg and raw):
        return False
    if file_type == "other" and not (other and not jpg and not raw):
        return False
    keep = {
        None: True,
        "any_kept": row.keep_jpg or row.keep_raw,
        "keep_jpg": row.keep_jpg,
        "keep_raw": row.keep_raw,
        "none": not row.keep_jpg and not row.keep_raw,
        "pending_delete": (jpg and not row.keep_jpg) or (raw and not row.keep_raw),
    }[params.get("keep_type")]
    if not keep:
        return False
    if params.get("orientation") is not None:
        width, height = _effective(row)
        if width is None or height is None:
            return False
        relation = {
            "portrait": height > width,
            "landscape": width > height,
            "square": width == height,
        }[params["orientation"]]
        if not relation:
            return False
    if params.get("tags"):
        keys = {name_key(t.strip()) for t in params["tags"].split(",") if t.strip()}
        found = len(keys & row.tags)
        if found < (len(keys) if params.get("tags_mode") == "all" else 1):
            return False
    if params.get("visibility") is not None and row.visibility != params["visibility"]:
        return False
    if params.get("rating_min") is not None and row.rating < int(params["rating_min"]):
        return False
    return params.get("pick") is None or row.pick == params["pick"]


def model_listing(
    rows: Iterable[Row], params: Mapping[str, Any], project_id: int | None = None
) -> list[int]:
    """Photo ids in listing order: (sort value, id), both reversed for desc."""
    sort = params.get("sort", "taken_at")
    descending = params.get("dir", "desc") == "desc"
    chosen = [r for r in rows if (project_id is None or r.project_id == project_id)]
    chosen = [r for r in chosen if matches(r, params)]
    chosen.sort(key=lambda r: (getattr(r, SORT_ATTR[sort]), r.id), reverse=descending)
    return [r.id for r in chosen]


def pending_model(rows: Iterable[Row]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for r in rows:
        jpg = r.jpg_available and not r.keep_jpg
        raw = r.raw_available and not r.keep_raw
        if jpg or raw:
            entry = counts.setdefault(r.project_id, {"photos": 0, "jpg": 0, "raw": 0})
            entry["photos"] += 1
            entry["jpg"] += jpg
            entry["raw"] += raw
    return counts


# --- walking cursors --------------------------------------------------------------------------


def get_ok(client: TestClient, url: str, params: Mapping[str, Any]) -> dict[str, Any]:
    response = client.get(url, params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, (url, dict(params), response.text)
    return response.json()  # type: ignore[no-any-return]


def walk_forward(client: TestClient, url: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    pages = [get_ok(client, url, params)]
    assert pages[0]["prev_cursor"] is None
    while pages[-1]["next_cursor"] is not None:
        pages.append(get_ok(client, url, {**params, "cursor": pages[-1]["next_cursor"]}))
        assert len(pages) < 10_000
    return pages


def walk_backward(
    client: TestClient, url: str, params: Mapping[str, Any], last: dict[str, Any]
) -> list[dict[str, Any]]:
    """From `last`, follow prev_cursor (as before_cursor) to the beginning; returns pages in
    listing order (first page first), `last` included."""
    pages = [last]
    while pages[-1]["prev_cursor"] is not None:
        pages.append(get_ok(client, url, {**params, "before_cursor": pages[-1]["prev_cursor"]}))
        assert len(pages) < 10_000
    return list(reversed(pages))


def ids_of(pages: Iterable[dict[str, Any]]) -> list[int]:
    return [item["id"] for page in pages for item in page["items"]]


# --- real projects, uploads and jobs ------------------------------------------------------------


def new_project(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def upload(client: TestClient, folder: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    multipart = [
        ("files", (name, io.BytesIO(data), "application/octet-stream")) for name, data in files
    ]
    response = client.post(f"/api/projects/{folder}/upload", files=multipart)
    assert response.status_code == 200, response.text
    body = response.json()
    assert all(f["status"] == "stored" for f in body["files"]), body
    return body  # type: ignore[no-any-return]


def runner_for(runtime: Runtime) -> Runner:
    return Runner(runtime, runtime.queue, default_registry(runtime.settings.pipeline))


def run_jobs(runtime: Runtime, timeout: float = 120.0) -> None:
    run_until_idle(runner_for(runtime), timeout=timeout)


def assert_task_completed(runtime: Runtime, task_id: int) -> None:
    status, job = runtime.queue.task_status(task_id)
    assert status == TaskStatus.COMPLETED, (status, job and job.type, job and job.last_error)


def photos_by_basename(runtime: Runtime, project_id: int) -> dict[str, Photo]:
    with runtime.db.read() as session:
        return {
            p.basename: p
            for p in session.scalars(select(Photo).where(Photo.project_id == project_id))
        }


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too), by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def visible_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def error_code(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return str(body["error"]["code"])
