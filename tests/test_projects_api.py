from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from contactsheet.db.enums import ProjectStatus
from contactsheet.db.tables import Event, Photo, Project
from contactsheet.library.names import name_key
from contactsheet.runtime import Runtime


def assert_error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error  # type: ignore[no-any-return]


def create(client: TestClient, name: str) -> dict[str, object]:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def folders_on_disk(runtime: Runtime) -> list[str]:
    return sorted(p.name for p in runtime.paths.projects_root.iterdir())


def test_create_project_makes_folder_and_manifest(admin: TestClient, runtime: Runtime) -> None:
    response = admin.post("/api/projects", json={"name": "Wedding 2026"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Wedding 2026"
    assert body["folder"] == "Wedding 2026"
    assert body["status"] == "active"
    assert body["photo_count"] == 0
    assert isinstance(body["id"], int)
    folder = runtime.paths.project_dir(body["folder"])
    assert sorted(p.name for p in folder.iterdir()) == [
        ".preview",
        ".project.yaml",
        ".thumb",
        ".trash",
    ]
    assert all((folder / d).is_dir() for d in (".thumb", ".preview", ".trash"))


def test_list_is_empty_then_newest_first_with_photo_counts(
    admin: TestClient, runtime: Runtime
) -> None:
    response = admin.get("/api/projects")
    assert response.status_code == 200
    assert response.json() == {"items": []}

    first, second, third = (create(admin, n) for n in ("First", "Second", "Third"))
    with runtime.db.write() as session:
        for basename in ("DSC0001", "DSC0002"):
            session.add(
                Photo(
                    tenant="user_0",
                    project_id=second["id"],
                    basename=basename,
                    basename_key=name_key(basename),
                )
            )
    items = admin.get("/api/projects").json()["items"]
    assert [i["name"] for i in items] == ["Third", "Second", "First"]
    assert [i["id"] for i in items] == [third["id"], second["id"], first["id"]]
    assert {i["name"]: i["photo_count"] for i in items} == {"First": 0, "Second": 2, "Third": 0}
    shown = admin.get("/api/projects/Second").json()
    assert shown["photo_count"] == 2


def test_get_project(admin: TestClient) -> None:
    created = create(admin, "Wedding")
    response = admin.get("/api/projects/Wedding")
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert response.json()["name"] == "Wedding"


@pytest.mark.parametrize("folder", ["nope", "wedding", "Wedding%20", "..%2F..%2Fetc", "%00"])
def test_get_unknown_project_is_404(admin: TestClient, folder: str) -> None:
    create(admin, "Wedding")
    error = assert_error(admin.get(f"/api/projects/{folder}"), 404)
    assert error["code"] in {"project_not_found", "not_found"}


def test_rename_keeps_the_folder(admin: TestClient, runtime: Runtime) -> None:
    created = create(admin, "Wedding")
    response = admin.patch("/api/projects/Wedding", json={"name": "Smith  wedding "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["name"], body["folder"]) == (created["id"], "Smith wedding", "Wedding")
    assert admin.get("/api/projects/Wedding").json()["name"] == "Smith wedding"
    assert folders_on_disk(runtime) == ["Wedding"]
    # Changing only the case of its own name is not a collision.
    assert admin.patch("/api/projects/Wedding", json={"name": "SMITH WEDDING"}).json()["name"] == (
        "SMITH WEDDING"
    )


def test_rename_announces_the_changed_manifest(admin: TestClient, runtime: Runtime) -> None:
    created = create(admin, "Gala")
    assert admin.patch("/api/projects/Gala", json={"name": "Gala night"}).status_code == 200
    with runtime.db.read() as session:
        events = session.scalars(select(Event).where(Event.type == "manifest_changed")).all()
        announced = [(e.channel, e.data) for e in events]
    assert announced == [
        ("jobs", {"project_id": created["id"], "name": "Gala night", "folder": "Gala"})
    ]
    manifest = yaml.safe_load((runtime.paths.project_dir("Gala") / ".project.yaml").read_text())
    assert manifest["name"] == "Gala night"


def test_rename_to_a_name_in_use_gets_a_suffix(admin: TestClient) -> None:
    create(admin, "Wedding")
    create(admin, "Party")
    response = admin.patch("/api/projects/Party", json={"name": "wedding"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "wedding (2)"
    assert response.json()["folder"] == "Party"
    create(admin, "Third")
    assert admin.patch("/api/projects/Third", json={"name": "WEDDING"}).json()["name"] == (
        "WEDDING (3)"
    )


def test_rename_refuses_bad_names_and_unknown_projects(admin: TestClient) -> None:
    create(admin, "Wedding")
    for body in ({"name": ""}, {"name": "a\x00b"}, {"name": 5}, {}):
        assert_error(admin.patch("/api/projects/Wedding", json=body), 400)
    assert admin.get("/api/projects/Wedding").json()["name"] == "Wedding"
    assert_error(admin.patch("/api/projects/nope", json={"name": "x"}), 404)


def test_delete_hides_the_project_and_keeps_files(admin: TestClient, runtime: Runtime) -> None:
    created = create(admin, "Wedding")
    keep = create(admin, "Other")
    project_dir = runtime.paths.project_dir("Wedding")
    (project_dir / "DSC0001.JPG").write_bytes(b"\xff\xd8 photo")

    response = admin.delete("/api/projects/Wedding")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]
    assert response.json()["status"] == "archived"

    assert_error(admin.get("/api/projects/Wedding"), 404)
    assert [i["id"] for i in admin.get("/api/projects").json()["items"]] == [keep["id"]]
    assert (project_dir / "DSC0001.JPG").read_bytes() == b"\xff\xd8 photo"
    assert (project_dir / ".project.yaml").is_file()
    with runtime.db.read() as session:
        row = session.get(Project, created["id"])
        assert row is not None
        assert row.status == ProjectStatus.ARCHIVED
        assert row.archived_at is not None
    assert_error(admin.delete("/api/projects/Wedding"), 404)


def test_duplicate_names_get_numbered_names_and_folders(
    admin: TestClient, runtime: Runtime
) -> None:
    made = [create(admin, "Wedding") for _ in range(3)]
    assert [(p["name"], p["folder"]) for p in made] == [
        ("Wedding", "Wedding"),
        ("Wedding (2)", "Wedding (2)"),
        ("Wedding (3)", "Wedding (3)"),
    ]
    assert folders_on_disk(runtime) == ["Wedding", "Wedding (2)", "Wedding (3)"]
    for project in made:
        manifest = yaml.safe_load(runtime.paths.manifest_path(str(project["folder"])).read_text())
        assert (manifest["id"], manifest["name"]) == (project["id"], project["name"])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Wedding", "WEDDING"),
        ("Wedding", "wedding"),
        ("Wedding", "\uff37\uff45\uff44\uff44\uff49\uff4e\uff47"),
        ("Caf\u00e9", "Cafe\u0301"),
        ("Caf\u00e9", "CAFE\u0301"),
    ],
)
def test_names_equal_up_to_case_and_unicode_form_are_duplicates(
    admin: TestClient, runtime: Runtime, first: str, second: str
) -> None:
    a = create(admin, first)
    b = create(admin, second)
    assert b["name"] != a["name"]
    assert str(b["name"]).endswith(" (2)")
    assert str(b["folder"]).endswith(" (2)")
    assert name_key(str(a["folder"])) != name_key(str(b["folder"]))
    assert len(folders_on_disk(runtime)) == 2


@pytest.mark.parametrize("existing", ["Wedding", "wedding", "WEDDING"])
def test_folder_made_by_hand_is_not_reused(
    admin: TestClient, runtime: Runtime, existing: str
) -> None:
    by_hand = runtime.paths.projects_root / existing
    by_hand.mkdir()
    (by_hand / "mine.txt").write_text("keep me", encoding="utf-8")
    body = create(admin, "Wedding")
    assert body["folder"] == "Wedding (2)"
    assert body["name"] == "Wedding (2)"
    assert sorted(p.name for p in by_hand.iterdir()) == ["mine.txt"]
    assert (by_hand / "mine.txt").read_text(encoding="utf-8") == "keep me"


BAD_BODIES: list[object] = [
    {"name": ""},
    {"name": "   "},
    {"name": "\t\n"},
    {"name": "x" * 10_000},
    {"name": "x" * 201},
    {"name": "a\x00b"},
    {"name": "bell\x07"},
    {"name": "bidi\u202eevil"},
    {"name": 123},
    {"name": None},
    {"name": ["Wedding"]},
    {"name": {"text": "Wedding"}},
    {"name": True},
    {},
    {"title": "Wedding"},
    [],
    "Wedding",
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_input_is_400_and_creates_nothing(
    admin: TestClient, runtime: Runtime, body: object
) -> None:
    error = assert_error(admin.post("/api/projects", json=body), 400)
    assert error["code"] in {"invalid_input", "unsafe_name"}
    assert admin.get("/api/projects").json()["items"] == []
    assert folders_on_disk(runtime) == []


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": ', "application/json"),
        (b"not json", "application/json"),
        (b"", "application/json"),
        (b'{"name": "x"', "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"name=Wedding", "application/x-www-form-urlencoded"),
    ],
)
def test_invalid_json_is_400_and_creates_nothing(
    admin: TestClient, runtime: Runtime, content: bytes, content_type: str
) -> None:
    response = admin.post("/api/projects", content=content, headers={"content-type": content_type})
    assert_error(response, 400)
    assert folders_on_disk(runtime) == []


@pytest.mark.parametrize(("name", "expected"), [("../x", "x"), ("a/b", "a_b"), ("..", "project")])
def test_path_like_names_get_safe_folders(
    admin: TestClient, runtime: Runtime, name: str, expected: str
) -> None:
    body = create(admin, name)
    assert body["name"] == name
    folder = str(body["folder"])
    assert folder == expected
    assert "/" not in folder and "\\" not in folder and not folder.startswith(".")
    root = runtime.paths.projects_root
    assert (root / folder).resolve().parent == root
    assert folders_on_disk(runtime) == [folder]
    assert not (root.parent / "x").exists()
    assert admin.get(f"/api/projects/{folder}").json()["name"] == name


@pytest.mark.parametrize("chunked", [False, True])
def test_body_over_one_megabyte_is_413(admin: TestClient, runtime: Runtime, chunked: bool) -> None:
    payload = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    content: object = iter([payload[i : i + 65536] for i in range(0, len(payload), 65536)])
    response = admin.post(
        "/api/projects",
        content=content if chunked else payload,  # type: ignore[arg-type]
        headers={"content-type": "application/json"},
    )
    error = assert_error(response, 413)
    assert error["code"] == "payload_too_large"
    assert folders_on_disk(runtime) == []


def test_concurrent_creates_of_one_name(admin: TestClient, runtime: Runtime) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda _: admin.post("/api/projects", json={"name": "Wedding"}), range(10))
        )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    bodies = [r.json() for r in responses]
    folders = {b["folder"] for b in bodies}
    assert len(folders) == 10
    assert len({b["name"] for b in bodies}) == 10
    assert len({b["id"] for b in bodies}) == 10
    expected = {"Wedding", *(f"Wedding ({n})" for n in range(2, 11))}
    assert folders == expected
    assert set(folders_on_disk(runtime)) == expected
    for body in bodies:
        manifest = yaml.safe_load(runtime.paths.manifest_path(body["folder"]).read_text())
        assert manifest["id"] == body["id"]
    with runtime.db.read() as session:
        assert len(session.scalars(select(Project.id)).all()) == 10
