"""The web UI: one page (index.html) for every address the UI routes itself, and its modules.

The UI keeps its state in the address (project, view, sort, filters, open photo), so a reload or
a pasted link asks the server for one of these paths and must get the page back. Everything is
served from the package with a strict Content-Security-Policy: no inline script or style, no
other origin (docs/web.md).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC_PREFIX = "/static"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Revalidated on every load (a 304 costs little), so an upgrade never runs yesterday's modules.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


def _page() -> FileResponse:
    return FileResponse(WEB / "index.html", headers=PAGE_HEADERS)


@router.get("/")
@router.get("/login")
@router.get("/photos")
@router.get("/trash")
def page() -> FileResponse:
    return _page()


@router.get("/projects/{folder}")
def project_page(folder: str) -> FileResponse:
    return _page()


class WebFiles(StaticFiles):
    """The UI's modules and styles: revalidated like the page, with the same policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


def static_files() -> WebFiles:
    return WebFiles(directory=WEB, follow_symlink=False)
