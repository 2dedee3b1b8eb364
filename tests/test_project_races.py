"""Many requests naming projects at the same moment: every one succeeds, no two share a name."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi.testclient import TestClient

from contactsheet.catalog.projects import create_project, rename_project
from contactsheet.db.tables import Project
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime

THREADS = 24


def _together(
    count: int, work: Callable[[int], object]
) -> tuple[list[object], list[BaseException]]:
    """Run `work(i)` in `count` threads released at the same instant."""
    start = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a create hung"
    return results, errors


def test_many_simultaneous_creates_of_one_name(runtime: Runtime) -> None:
    results, errors = _together(
        THREADS, lambda _: create_project(runtime.db, runtime.paths, runtime.tenant, "Wedding")
    )
    assert errors == []
    projects = [p for p in results if isinstance(p, Project)]
    assert len(projects) == THREADS
    assert len({name_key(p.name) for p in projects}) == THREADS
    assert len({name_key(p.folder) for p in projects}) == THREADS
    on_disk = {p.name for p in runtime.paths.projects_root.iterdir()}
    assert on_disk == {p.folder for p in projects}


def test_simultaneous_renames_and_creates_to_one_name(admin: TestClient, runtime: Runtime) -> None:
    folders = [
        create_project(runtime.db, runtime.paths, runtime.tenant, f"Shoot {i}").folder
        for i in range(THREADS // 2)
    ]

    def work(i: int) -> object:
        if i % 2:
            return create_project(runtime.db, runtime.paths, runtime.tenant, "Party")
        return rename_project(runtime.db, runtime.paths, runtime.tenant, folders[i // 2], "Party")

    _results, errors = _together(THREADS, work)
    assert errors == []
    items = admin.get("/api/projects").json()["items"]
    assert len(items) == THREADS
    names = [name_key(item["name"]) for item in items]
    assert len(set(names)) == THREADS
    assert sum(n == "party" or n.startswith("party (") for n in names) == THREADS
