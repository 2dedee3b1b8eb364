from __future__ import annotations

from fastapi.testclient import TestClient

from contactsheet.runtime import Runtime


def test_create_project_makes_folder_and_manifest(admin: TestClient, runtime: Runtime) -> None:
    response = admin.post("/api/projects", json={"name": "Wedding 2026"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Wedding 2026"
    folder = runtime.paths.project_dir(body["folder"])
    assert sorted(p.name for p in folder.iterdir()) == [
        ".preview",
        ".project.yaml",
        ".thumb",
        ".trash",
    ]
