"""The web UI: one page (index.html) for every address the UI routes itself, and its modules.

The UI keeps its state in the address (project, view, sort, filters, open photo), so a reload or
a pasted link asks the server for one of these paths and must get the page back. Everything is
served from the package with a strict Content-Security-Policy: no inline script or style, no
other origin (docs/web.md).

The modules are addressed under a version made from the files themselves
(`/static/v-<version>/app.js`), so a browser keeps them for good and never asks again, and an
upgrade (or an edited file) is a new address. The page names every module its start imports as a
`modulepreload`: without a bundler, the browser would otherwise find the imports one level at a
time, a round trip per level, before the first photo is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from contactsheet.api.photo_list import ListParams

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC_PREFIX = "/static"
ENTRY = "app.js"
CONTENT_SECURITY_POLICY = (
    # 'wasm-unsafe-eval' lets WebAssembly compile (the upload's xxh3_128 hasher), no JS eval.
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The page is asked again on every load (it names the current version); versioned files never.
PAGE_HEADERS = {"Cache-Control": "no-cache", **SECURITY_HEADERS}
IMMUTABLE_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", **SECURITY_HEADERS}
# Static imports and re-exports (`import … from "./x.js"`, `export … from`), and `import "./x.js"`.
STATIC_IMPORT = re.compile(
    r"""(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*["']([^"']+)["']"""
    r"""|(?:^|[\s;])import\s*["']([^"']+)["']"""
)
DYNAMIC_IMPORT = re.compile(r"""import\(\s*["']([^"']+)["']\s*\)""")
VERSIONED = re.compile(r"v-([0-9a-f]{12})/(.+)")
# The photo list's filters and sort. The first page's size and `include=tags` are the UI's
# (model/photolist.js); it uses this address only when they match its own.
LISTING_PARAMETERS = frozenset(f.name for f in dataclasses.fields(ListParams)) - {
    "limit",
    "include",
}
FIRST_PAGE_LIMIT = 100

router = APIRouter(include_in_schema=False)


def imports_of(module: Path) -> list[str]:
    """The relative module specifiers a module imports statically."""
    text = module.read_text(encoding="utf-8")
    return [a or b for a, b in STATIC_IMPORT.findall(text)]


def preload_closure(entry: str = ENTRY) -> list[Path]:
    """Every module the entry imports, directly or not, in the order first met (not the entry)."""
    seen: dict[Path, None] = {}
    todo = [(WEB / entry).resolve()]
    while todo:
        module = todo.pop(0)
        for specifier in imports_of(module):
            target = (module.parent / specifier).resolve()
            if target.is_relative_to(WEB.resolve()) and target.is_file() and target not in seen:
                seen[target] = None
                todo.append(target)
    return list(seen)


_version_cache: tuple[float, Path, str] | None = None
# A page load asks for some forty files; they share one look at the folder.
VERSION_TTL_SECONDS = 1.0


def web_version() -> str:
    """Changes whenever any file of the UI does: names, sizes and modification times."""
    global _version_cache
    now = time.monotonic()
    if (
        _version_cache
        and _version_cache[1] == WEB
        and now - _version_cache[0] < VERSION_TTL_SECONDS
    ):
        return _version_cache[2]
    version = _digest_of(WEB)
    _version_cache = (now, WEB, version)
    return version


def _digest_of(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()[:12]


_page_cache: dict[tuple[Path, str, str], str] = {}


def render_page(document: str = "index.html", entry: str = ENTRY) -> str:
    """A page of the UI (the app's index.html, the shared gallery's gallery.html) under the
    current version, with its entry's preloads (made once per version)."""
    version = web_version()
    key = (WEB, version, document)
    if key not in _page_cache:
        if any(cached[1] != version for cached in _page_cache):
            _page_cache.clear()
        _page_cache[key] = _render(version, document, entry)
    return _page_cache[key]


def _render(version: str, document: str, entry: str) -> str:
    base = f"{STATIC_PREFIX}/v-{version}/"
    preloads = "\n".join(
        f'  <link rel="modulepreload" href="{base}{path.relative_to(WEB).as_posix()}">'
        for path in preload_closure(entry)
    )
    page = (WEB / document).read_text(encoding="utf-8")
    page = page.replace(f'"{STATIC_PREFIX}/', f'"{base}')
    return page.replace("  <!-- modulepreload -->", preloads)


def _page(first_page: str | None = None) -> HTMLResponse:
    page = render_page()
    if first_page is not None:
        # The browser asks for the photos while it is still loading the modules that show them.
        link = (
            f'  <link rel="preload" as="fetch" crossorigin="anonymous" data-first-page '
            f'href="{html.escape(first_page)}">\n'
        )
        page = page.replace("</head>", link + "</head>", 1)
    return HTMLResponse(page, headers=PAGE_HEADERS)


def first_page_url(endpoint: str, request: Request) -> str | None:
    """The listing the photos page asks for first: the page's own filters and sort (the API's
    parameter names, which the address uses), the first page. None when the address opens a
    photo (the page holding it is asked for instead)."""
    query = request.query_params
    if "photo" in query:
        return None
    kept = [(k, v) for k, v in query.multi_items() if k in LISTING_PARAMETERS and v]
    return (
        endpoint + "?" + urlencode([*kept, ("limit", str(FIRST_PAGE_LIMIT)), ("include", "tags")])
    )


@router.get("/")
@router.get("/login")
@router.get("/trash")
@router.get("/links")
def page() -> HTMLResponse:
    return _page()


@router.get("/photos")
def all_photos_page(request: Request) -> HTMLResponse:
    return _page(first_page_url("/api/photos", request))


@router.get("/projects/{folder}")
def project_page(folder: str, request: Request) -> HTMLResponse:
    # Encoded as the UI's encodeURIComponent does, so the UI recognises the address as its own.
    path = "/api/projects/" + quote(folder, safe="!'()*") + "/photos"
    return _page(first_page_url(path, request))


class WebFiles(StaticFiles):
    """The UI's files. Under the current version they are immutable; an older version's address
    (a page loaded before an upgrade) still answers, with today's file, revalidated."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        versioned = VERSIONED.fullmatch(path)
        current = versioned is not None and versioned.group(1) == web_version()
        response = await super().get_response(versioned.group(2) if versioned else path, scope)
        response.headers.update(IMMUTABLE_HEADERS if current else PAGE_HEADERS)
        return response


def static_files() -> WebFiles:
    return WebFiles(directory=WEB, follow_symlink=False)
