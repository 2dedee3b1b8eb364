"""The seed's bug, end to end through the API (docs/derivatives.md): a project deleted and created
again under the same name, with the same files uploaded, must get every thumbnail made again: the
old cache must not say "already generated" for files that are gone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from contactsheet.db.tables import Derivative, Photo
from contactsheet.runtime import Runtime
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    decoded,
    derivative_file,
    distinct_jpegs,
    photo_ids,
    records,
    run_jobs,
    tasks,
    thumbnail,
    upload,
)

FILES = distinct_jpegs(11)
NAMES = [name.rsplit(".", 1)[0] for name, _ in FILES]


def _every_thumbnail_is_served_from_disk(admin: TestClient, runtime: Runtime, folder: str) -> None:
    for name in NAMES:
        answer = thumbnail(admin, folder, name)
        assert answer.status_code == 200, (name, answer.status_code, answer.text)
        path = derivative_file(runtime, folder, name, "thumbnail")
        assert path.is_file() and path.is_relative_to(runtime.paths.project_dir(folder))
        assert path.read_bytes() == answer.content
        assert decoded(answer.content).size == (400, 300)


def test_project_deleted_and_recreated_with_the_same_uploads_gets_every_thumbnail(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "test")
    assert folder == "test"
    upload(admin, folder, FILES)
    run_jobs(runtime)
    assert_all_generated(runtime, folder, NAMES)
    old_ids = set(photo_ids(runtime, folder).values())
    old_dir = runtime.paths.project_dir(folder)

    deleted = admin.delete(f"/api/projects/{folder}")
    assert deleted.status_code == 200, deleted.text
    run_jobs(runtime)
    [delete_task] = tasks(runtime, "project_delete")
    assert delete_task.status == "completed"
    assert not old_dir.exists(), "the project folder left the library"
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Photo)) == 0
        assert session.scalar(select(func.count()).select_from(Derivative)) == 0, (
            "derivative records died with their photos"
        )

    again = create_project(admin, "test")
    upload(admin, again, FILES)
    run_jobs(runtime)
    new_ids = set(photo_ids(runtime, again).values())
    assert not new_ids & old_ids, "photo ids are never reused"
    assert_all_generated(runtime, again, NAMES)
    _every_thumbnail_is_served_from_disk(admin, runtime, again)
    for name in NAMES:
        assert derivative_file(runtime, again, name, "preview").is_file()
    listed = admin.get(f"/api/projects/{again}/photos").json()["items"]
    assert len(listed) == 11
    assert {(p["thumbnail_status"], p["preview_status"]) for p in listed} == {
        ("generated", "generated")
    }


def test_project_recreated_before_its_deletion_ran_gets_every_thumbnail(
    admin: TestClient, runtime: Runtime
) -> None:
    """The same, with the user quicker than the workers: the new project exists (and is uploaded
    to) while the old one's folder and rows are still there, waiting for `project_delete`."""
    folder = create_project(admin, "test")
    upload(admin, folder, FILES)
    run_jobs(runtime)
    assert admin.delete(f"/api/projects/{folder}").status_code == 200

    again = create_project(admin, "test")
    upload(admin, again, FILES)
    run_jobs(runtime)

    assert [t.status for t in tasks(runtime, "project_delete")] == ["completed"]
    assert runtime.paths.project_dir(again).is_dir()
    assert_all_generated(runtime, again, NAMES)
    _every_thumbnail_is_served_from_disk(admin, runtime, again)
    found = records(runtime, again)
    assert all(found[name][kind].status == "generated" for name in NAMES for kind in KINDS)
