"""The web UI's frame in a real browser: logging in and out, and the projects page (create,
rename, delete, a project whose folder went missing)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from playwright.sync_api import expect

from contactsheet.clock import utcnow
from contactsheet.db.tables import Project
from tests.browsersupport import PASSWORD, WebApp, new_page


def test_log_in_and_out(chromium: Any, web: WebApp) -> None:
    page = new_page(chromium, web, logged_in=False)
    page.goto("/photos?sort=filename")
    expect(page).to_have_url(f"{web.url}/login?next=%2Fphotos%3Fsort%3Dfilename")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Back where the user wanted to go, with the address's state intact.
    expect(page).to_have_url(f"{web.url}/photos?sort=filename")
    expect(page.get_by_role("heading", name="All Photos")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{web.url}/login")
    page.goto("/")
    expect(page).to_have_url(f"{web.url}/login?next=%2F")
    page.context.close()
    assert not web.console_errors or all("401" in e for e in web.console_errors)


def test_create_rename_and_delete_a_project(page: Any, web: WebApp) -> None:
    page.goto("/")
    page.get_by_role("button", name="New project").click()
    page.get_by_label("Name of the shoot").fill("Wedding Anna & Ben")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Wedding Anna & Ben")).to_be_visible()
    folder = web.http.get("/api/projects").json()["items"][0]["folder"]
    assert unquote(urlsplit(page.url).path) == f"/projects/{folder}"
    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("button", name="Rename Wedding Anna & Ben").click()
    page.get_by_label("New name").fill("Anna & Ben, 2026")
    page.get_by_role("dialog").get_by_role("button", name="Rename").click()
    expect(page.locator(".project-list")).to_contain_text("Anna & Ben, 2026")
    assert web.http.get("/api/projects").json()["items"][0]["name"] == "Anna & Ben, 2026"
    page.get_by_role("button", name="Delete Anna & Ben, 2026").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("0 photos")
    expect(dialog).to_contain_text("24 hours")
    dialog.get_by_role("button", name="Delete project").click()
    expect(page.locator(".project-list .project-card")).to_have_count(0)
    assert web.http.get("/api/projects").json()["items"] == []


def test_a_project_whose_folder_is_missing_says_so(page: Any, web: WebApp) -> None:
    folder = web.project("Gone from disk")
    # What maintenance records when a project's folder is no longer there.
    with web.runtime.db.write() as session:
        project = session.query(Project).filter_by(folder=folder).one()
        project.missing_since = utcnow()
    page.goto("/")
    expect(page.locator(".project-card")).to_contain_text("was not found on disk")
    expect(page.locator(".side .badge-warning")).to_have_text("missing")
    page.get_by_role("link", name="Gone from disk").first.click()
    expect(page.locator(".page-notice")).to_be_visible()
    expect(page.locator(".page-notice")).to_contain_text(f"(“{folder}”) was not found on disk")
