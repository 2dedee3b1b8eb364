"""The web UI's files, read as text: every module a module imports exists, nothing writes HTML
from strings or styles inline (the page's Content-Security-Policy forbids it, and a photo's name
must never become markup), and every vendored file is accounted for. Also the headers the page
and its modules are served with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contactsheet.api import webui
from contactsheet.api.webui import DYNAMIC_IMPORT, STATIC_IMPORT

WEB = Path(__file__).resolve().parents[1] / "contactsheet" / "web"
MODULES = sorted(WEB.rglob("*.js"))
HTML_SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write\b")
INLINE_STYLE = re.compile(r"""setAttribute\(\s*["']style["']|\bstyle:\s*["']""")


def own_modules() -> list[Path]:
    return [m for m in MODULES if "vendor" not in m.relative_to(WEB).parts]


def test_every_import_resolves() -> None:
    assert own_modules(), "no modules found"
    missing = []
    for module in MODULES:
        text = module.read_text()
        found = [a or b for a, b in STATIC_IMPORT.findall(text)] + DYNAMIC_IMPORT.findall(text)
        for target in found:
            if not target.startswith("."):
                missing.append(f"{module.relative_to(WEB)}: bare import {target!r}")
                continue
            if not (module.parent / target).resolve().is_file():
                missing.append(f"{module.relative_to(WEB)}: {target}")
    assert missing == []


def test_no_html_from_strings_and_no_inline_style_or_script() -> None:
    offending = [
        f"{module.relative_to(WEB)}:{number}: {line.strip()}"
        for module in own_modules()
        for number, line in enumerate(module.read_text().splitlines(), 1)
        if HTML_SINKS.search(line) or INLINE_STYLE.search(line)
    ]
    assert offending == []
    for page in WEB.rglob("*.html"):
        text = page.read_text()
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None, page
        assert " style=" not in text and "<style" not in text, page


def test_the_checks_above_can_fail(tmp_path: Path) -> None:
    assert HTML_SINKS.search('cell.innerHTML = "<b>" + name;')
    assert INLINE_STYLE.search('element.setAttribute("style", "color: red")')
    assert STATIC_IMPORT.search('import { h } from "./missing.js";').group(1) == "./missing.js"
    assert STATIC_IMPORT.search('export * from "./b.js";').group(1) == "./b.js"
    assert STATIC_IMPORT.search('import "./side.js";').group(2) == "./side.js"
    assert DYNAMIC_IMPORT.search('await import("./late.js")').group(1) == "./late.js"


def test_every_vendored_file_has_its_version_and_licence_recorded() -> None:
    vendor = WEB / "vendor"
    readme = (vendor / "README.md").read_text()
    for path in vendor.iterdir():
        if path.name == "README.md" or path.name.upper().startswith("LICENSE"):
            continue
        assert path.name in readme, f"{path.name} is not described in vendor/README.md"


def test_the_page_preloads_every_module_its_start_imports() -> None:
    preloaded = {path.relative_to(WEB).as_posix() for path in webui.preload_closure()}
    assert {"lib/api.js", "views/photos.js", "views/grid.js", "model/photolist.js"} <= preloaded
    # Nothing the start does not import (the login page needs no grid, but the app does).
    for module in preloaded:
        assert (WEB / module).is_file()
    page = webui.render_page()
    version = webui.web_version()
    assert f'src="/static/v-{version}/app.js"' in page
    assert page.count('rel="modulepreload"') == len(preloaded)
    assert '"/static/styles' not in page


def test_an_edited_file_is_a_new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    copy = tmp_path / "web"
    shutil.copytree(WEB, copy)
    monkeypatch.setattr(webui, "WEB", copy)
    monkeypatch.setattr(webui, "VERSION_TTL_SECONDS", 0.0)
    before = webui.web_version()
    (copy / "views" / "grid.js").write_text((copy / "views" / "grid.js").read_text() + "\n")
    assert webui.web_version() != before


def test_the_page_and_its_modules_carry_a_strict_policy(client: TestClient) -> None:
    for path in ("/", "/login", "/projects/Some%20shoot", "/photos", "/trash", "/static/app.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["cache-control"] == "no-cache"
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    # The current version's files are kept by the browser for good; another version's are not.
    current = client.get(f"/static/v-{webui.web_version()}/views/grid.js")
    assert current.status_code == 200
    assert "immutable" in current.headers["cache-control"]
    assert "script-src 'self'" in current.headers["content-security-policy"]
    older = client.get("/static/v-000000000000/views/grid.js")
    assert older.status_code == 200 and older.headers["cache-control"] == "no-cache"
    # Nothing outside the UI's folder is served, and an unknown file is a JSON 404.
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/nothing.js"):
        response = client.get(path)
        assert response.status_code == 404
        assert "error" in response.json()
