"""Shared links and downloads in a real browser: Share… on a selection (a new link, then photos
added to one that exists), the link shown and copied, the Shared links page with its counts and
the warning that private photos are not shown, a link's photos (made public, taken out), its
title, expiry and downloads edited, a new address that retires the old one at once, deleting,
and Download of a selection streaming a zip of its originals. Each test fails on a console error
or a Content-Security-Policy violation; what the page says is checked against the server."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests import imagefactory
from tests.browsersupport import WebApp, serious_violations, wait_until

# Records what the page's policy refused, in every document of the page (the app, its frames).
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI}`
      + ` at ${event.sourceFile}:${event.lineNumber}`,
  );
});
"""


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """P1 is a RAW+JPG pair (one photo, two files); P2 and P3 are JPGs alone."""
    folder = tmp_path_factory.mktemp("shoot")
    return {
        "P1.JPG": imagefactory.jpeg(folder / "P1.JPG", 321, 213),
        "P1.DNG": imagefactory.dng_with_preview(folder / "P1.DNG", 402, 266, 322),
        "P2.JPG": imagefactory.jpeg(folder / "P2.JPG", 330, 220),
        "P3.JPG": imagefactory.jpeg(folder / "P3.JPG", 331, 220),
    }


@pytest.fixture
def csp(page: Any) -> list[str]:
    violations: list[str] = []

    def report(violation: str) -> None:
        violations.append(violation)

    page.expose_function("reportCspViolation", report)
    page.add_init_script(CSP_WATCH)
    return violations


def project_with(web: WebApp, shoot: dict[str, Path]) -> tuple[str, dict[str, int]]:
    """A project holding the shoot with its thumbnails made, every photo public (a photo is
    private until made public); its folder and ids by basename."""
    folder = web.project("Beach")
    web.upload(folder, *shoot.values())
    photos = wait_until(
        lambda: (
            (found := web.photos(folder))
            and len(found) == 3
            and all(p["thumbnail_status"] == "generated" for p in found)
            and found
        ),
        "the uploads and their thumbnails",
    )
    ids = {p["basename"]: p["id"] for p in photos}
    set_visibility(web, "public", *ids.values())
    return folder, ids


def set_visibility(web: WebApp, visibility: str, *photo_ids: int) -> None:
    items = [{"photo_id": photo_id} for photo_id in photo_ids]
    body = {"visibility": visibility, "items": items}
    web.http.post("/api/photos/visibility", json=body).raise_for_status()


def visibility(web: WebApp, folder: str, photo_id: int) -> str:
    return str(next(p for p in web.photos(folder) if p["id"] == photo_id)["visibility"])


def make_link(web: WebApp, title: str, *photo_ids: int) -> dict[str, Any]:
    answer = web.http.post("/api/shared-links", json={"title": title, "photo_ids": list(photo_ids)})
    answer.raise_for_status()
    return dict(answer.json())


def server_links(web: WebApp) -> list[dict[str, Any]]:
    answer = web.http.get("/api/shared-links")
    answer.raise_for_status()
    return list(answer.json()["items"])


def server_link(web: WebApp, link_id: int) -> dict[str, Any]:
    answer = web.http.get(f"/api/shared-links/{link_id}")
    answer.raise_for_status()
    return dict(answer.json())


def open_project(page: Any, folder: str) -> None:
    page.goto(f"/projects/{folder}")
    expect(page.locator("[data-photo-id]")).to_have_count(3)


def toolbar(page: Any) -> Any:
    return page.get_by_role("toolbar", name="Selected photos")


def select(page: Any, *photo_ids: int) -> None:
    first, *rest = photo_ids
    page.locator(f'[data-photo-id="{first}"]').click()
    for photo_id in rest:
        page.locator(f'[data-photo-id="{photo_id}"]').click(modifiers=["Control"])
    expect(toolbar(page).locator(".selected-count")).to_have_text(f"{len(photo_ids)} selected")


def card(page: Any, link_id: int) -> Any:
    return page.locator(f'.link-card[data-link-id="{link_id}"]')


def gallery_api(url: str) -> str:
    """The visitors' listing of the link whose page is at `url`."""
    return url.replace("/shared/", "/shared/api/", 1)


def test_share_a_selection_copy_its_link_and_find_it_on_the_links_page(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str]
) -> None:
    folder, ids = project_with(web, shoot)
    set_visibility(web, "private", ids["P2"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.url)
    open_project(page, folder)
    select(page, ids["P1"], ids["P2"])
    toolbar(page).get_by_role("button", name="Share by a link").click()

    dialog = page.get_by_role("dialog", name="Share 2 photos")
    # Said before the link is made: a private photo is in it but visitors will not see it.
    expect(dialog.get_by_role("note")).to_contain_text("1 of these 2 photos is private")
    expect(dialog.get_by_label("Title", exact=True)).to_have_value("Beach")
    dialog.get_by_label("Title", exact=True).fill("Beach day for the family")
    dialog.get_by_label("Description (optional)").fill("The best of Sunday.")
    dialog.get_by_label("Visitors may download the originals").check()
    assert serious_violations(page, "dialog") == []
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/api/shared-links")
    ) as created:
        dialog.get_by_role("button", name="Create link").click()
    sent = created.value.request.post_data_json
    assert sorted(sent["photo_ids"]) == sorted([ids["P1"], ids["P2"]])
    assert (sent["expires_at"], sent["allow_downloads"]) == (None, True)

    result = page.get_by_role("dialog", name="Link created")
    address = result.get_by_role("textbox", name="Link address")
    expect(address).to_have_value(re.compile(r"/shared/[^/]+$"))
    (link,) = server_links(web)
    assert address.input_value() == web.url + link["url"]
    assert link["title"] == "Beach day for the family"
    assert link["description"] == "The best of Sunday."
    assert (link["photo_count"], link["public_count"], link["allow_downloads"]) == (2, 1, True)
    expect(result.get_by_role("note")).to_contain_text("1 of these 2 photos is private")
    expect(result.get_by_role("button", name="Make it public")).to_be_visible()

    result.get_by_role("button", name="Copy", exact=True).click()
    expect(result.locator(".link-copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == web.url + link["url"]
    # The address works without a session, and shows only the public photo.
    visitor = httpx.get(web.url + gallery_api(link["url"]))
    assert visitor.status_code == 200
    assert visitor.json()["photo_count"] == 1
    assert [item["id"] for item in visitor.json()["items"]] == [ids["P1"]]

    result.get_by_role("button", name="Manage shared links").click()
    expect(page).to_have_url(f"{web.url}/links")
    expect(page.get_by_role("link", name="Shared links")).to_have_attribute("aria-current", "page")
    shown = card(page, link["id"])
    expect(shown.locator(".link-title")).to_have_text("Beach day for the family")
    expect(shown.locator(".link-description")).to_have_text("The best of Sunday.")
    expect(shown.locator(".link-count")).to_have_text("2 photos")
    expect(shown.locator(".link-visible")).to_have_text("1 shown to visitors")
    expect(shown.get_by_role("note")).to_have_text(
        "1 of its 2 photos is private: visitors do not see it."
    )
    expect(shown.locator(".link-expiry-text")).to_have_text("Never expires")
    expect(shown.get_by_label("Visitors may download the originals")).to_be_checked()
    expect(shown.get_by_role("textbox", name="Address of Beach day for the family")).to_have_value(
        web.url + link["url"]
    )
    expect(shown.get_by_role("link", name="Open")).to_have_attribute("target", "_blank")
    assert serious_violations(page, ".link-list") == []
    assert csp == []


def test_adding_to_an_existing_link_and_making_its_private_photos_public(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str]
) -> None:
    folder, ids = project_with(web, shoot)
    link = make_link(web, "Proofs", ids["P1"])
    set_visibility(web, "private", ids["P3"])
    open_project(page, folder)
    select(page, ids["P2"], ids["P3"])
    toolbar(page).get_by_role("button", name="Share by a link").click()
    dialog = page.get_by_role("dialog", name="Share 2 photos")
    dialog.get_by_label("Added to an existing link").check()
    expect(dialog.get_by_label("Title", exact=True)).to_be_hidden()
    dialog.get_by_label("The link to add them to").select_option(str(link["id"]))
    dialog.get_by_role("button", name="Add to link").click()

    result = page.get_by_role("dialog", name="Photos added to the link")
    expect(result).to_contain_text("2 photos added to “Proofs”; it holds 3 photos.")
    expect(result.get_by_role("textbox", name="Link address")).to_have_value(web.url + link["url"])
    assert server_link(web, link["id"])["photo_count"] == 3
    expect(result.get_by_role("note")).to_contain_text("1 of these 2 photos is private")
    result.get_by_role("button", name="Make it public").click()
    expect(result.get_by_role("note")).to_contain_text("Now public")
    wait_until(lambda: visibility(web, folder, ids["P3"]) == "public", "P3 made public")
    assert visibility(web, folder, ids["P2"]) == "public"
    assert server_link(web, link["id"])["public_count"] == 3
    result.get_by_role("button", name="Done").click()
    expect(result).to_be_hidden()
    assert csp == []


def test_a_links_photos_title_expiry_and_downloads_are_edited_on_its_card(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str]
) -> None:
    folder, ids = project_with(web, shoot)
    set_visibility(web, "private", ids["P2"])
    link = make_link(web, "Proofs", ids["P1"], ids["P2"])
    page.goto("/links")
    shown = card(page, link["id"])
    expect(shown.get_by_role("note")).to_contain_text("1 of its 2 photos is private")

    # Its photos, the private one marked, open under the card and stay open on a reload.
    shown.get_by_role("button", name="Photos").click()
    expect(page).to_have_url(f"{web.url}/links?link={link['id']}")
    tiles = shown.locator(".link-photo")
    expect(tiles).to_have_count(2)
    private = shown.locator(f'.link-photo[data-photo-id="{ids["P2"]}"]')
    expect(private).to_have_attribute("data-visibility", "private")
    expect(private).to_contain_text("Private: hidden")
    expect(private.get_by_role("img", name="P2")).to_be_visible()
    assert serious_violations(page, ".link-photos") == []
    page.reload()
    expect(tiles).to_have_count(2)
    private.get_by_role("button", name="Make public: P2").click()
    expect(private).to_have_attribute("data-visibility", "public")
    wait_until(lambda: visibility(web, folder, ids["P2"]) == "public", "P2 made public")
    expect(shown.get_by_role("note")).to_be_hidden()
    expect(shown.locator(".link-visible")).to_have_text("2 shown to visitors")

    shown.get_by_role("button", name="Remove P1 from the link").click()
    expect(tiles).to_have_count(1)
    expect(shown.locator(".link-count")).to_have_text("1 photo")
    assert server_link(web, link["id"])["photo_count"] == 1
    assert visibility(web, folder, ids["P1"]) == "public"  # still in the library, as it was

    # The expiry is a day: the link works until that day is over where the photographer is.
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        shown.get_by_label("Expires after").fill("2099-12-31")
    ends = page.evaluate("new Date(2099, 11, 31 + 1).toISOString()")
    expires = server_link(web, link["id"])["expires_at"]
    assert datetime.fromisoformat(expires) == datetime.fromisoformat(ends.replace("Z", "+00:00"))
    expect(shown.locator(".link-expiry-text")).to_contain_text("Works until the end of")
    expect(shown.locator(".link-expiry-text")).to_contain_text("2099")
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        shown.get_by_role("button", name="Never expires").click()
    assert server_link(web, link["id"])["expires_at"] is None
    expect(shown.locator(".link-expiry-text")).to_have_text("Never expires")
    expect(shown.get_by_label("Expires after")).to_have_value("")

    downloads = shown.get_by_label("Visitors may download the originals")
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        downloads.check()
    assert server_link(web, link["id"])["allow_downloads"] is True
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        downloads.uncheck()
    assert server_link(web, link["id"])["allow_downloads"] is False

    shown.get_by_role("button", name="Edit…").click()
    dialog = page.get_by_role("dialog", name="Edit “Proofs”")
    dialog.get_by_label("Title", exact=True).fill("Proofs for Anna")
    dialog.get_by_label("Description (optional)").fill("Pick your favourites.")
    dialog.get_by_role("button", name="Save").click()
    expect(shown.locator(".link-title")).to_have_text("Proofs for Anna")
    expect(shown.locator(".link-description")).to_have_text("Pick your favourites.")
    saved = server_link(web, link["id"])
    assert (saved["title"], saved["description"]) == ("Proofs for Anna", "Pick your favourites.")
    assert csp == []


def test_a_new_address_retires_the_old_one_at_once_and_delete_removes_the_link(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str]
) -> None:
    _, ids = project_with(web, shoot)
    link = make_link(web, "Proofs", ids["P1"], ids["P3"])
    old = web.url + link["url"]
    assert page.request.get(gallery_api(old)).status == 200
    page.goto("/")
    page.get_by_role("link", name="Shared links").click()
    expect(page).to_have_url(f"{web.url}/links")
    shown = card(page, link["id"])
    address = shown.get_by_role("textbox", name="Address of Proofs")
    expect(address).to_have_value(old)
    expect(shown.locator(".link-count")).to_have_text("2 photos")
    expect(shown.get_by_role("note")).to_be_hidden()  # every photo is public

    shown.get_by_role("button", name="New address…").click()
    confirm = page.get_by_role("dialog", name="Give “Proofs” a new address?")
    expect(confirm).to_contain_text("The old address stops working at once")
    confirm.get_by_role("button", name="Make a new address").click()
    expect(address).not_to_have_value(old)
    new = address.input_value()
    assert new == web.url + server_link(web, link["id"])["url"]
    assert page.request.get(old).status == 404
    assert page.request.get(gallery_api(old)).status == 404
    assert page.request.get(gallery_api(new)).status == 200

    shown.get_by_role("button", name="Delete…").click()
    confirm = page.get_by_role("dialog", name="Delete “Proofs”?")
    confirm.get_by_role("button", name="Delete link").click()
    expect(shown).to_have_count(0)
    expect(page.locator(".links-empty")).to_be_visible()
    assert server_links(web) == []
    assert page.request.get(gallery_api(new)).status == 404
    assert csp == []


def test_download_streams_a_zip_of_the_selected_photos_files(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str], tmp_path: Path
) -> None:
    folder, ids = project_with(web, shoot)
    open_project(page, folder)
    select(page, ids["P1"], ids["P3"])
    zip_request = page.expect_request(lambda r: r.url.endswith("/api/photos/download-zip"))
    with zip_request as posted, page.expect_download() as started:
        toolbar(page).get_by_role("button", name="Download the originals as a zip").click()
    # A form post, so the browser writes the zip to disk as it arrives.
    request = posted.value
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    download = started.value
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / "photos.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(files) == ["P1.DNG", "P1.JPG", "P3.JPG"]
    for name, data in files.items():
        assert data == shoot[name].read_bytes(), name
    expect(page.get_by_role("status")).to_contain_text("Downloading 2 photos as a zip")
    # The app is still there: the answer went to the download, not over the page.
    expect(toolbar(page).locator(".selected-count")).to_have_text("2 selected")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert csp == []


def test_a_refused_download_is_said_in_words_and_the_app_stays(
    page: Any, web: WebApp, shoot: dict[str, Path], csp: list[str]
) -> None:
    folder, ids = project_with(web, shoot)
    (web.runtime.paths.project_dir(folder) / "P2.JPG").unlink()
    open_project(page, folder)
    select(page, ids["P2"])
    with page.expect_response(lambda r: r.url.endswith("/api/photos/download-zip")) as answered:
        toolbar(page).get_by_role("button", name="Download the originals as a zip").click()
    assert answered.value.status == 404
    expect(page.get_by_role("alert")).to_contain_text(
        "The download did not start: none of these photos has an original on disk"
    )
    expect(toolbar(page).locator(".selected-count")).to_have_text("1 selected")
    assert csp == []
    # The browser reports the refusal it was told not to show in a frame (every answer forbids
    # framing); the page said why in words instead. Nothing else may be in the console.
    framing = [e for e in web.console_errors if "frame-ancestors" in e]
    assert framing, web.console_errors
    web.console_errors[:] = [e for e in web.console_errors if e not in framing]
