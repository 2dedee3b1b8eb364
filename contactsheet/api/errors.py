"""Every error leaves as `{"error": {"code", "message"}}` with a 4xx status; never a bare 500."""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from contactsheet.api.security_headers import HEADERS as SECURITY_HEADERS
from contactsheet.errors import ContactSheetError, PayloadTooLarge, RateLimited
from contactsheet.logs import log_event

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# Declared once for every route: any 4xx carries the error body (a validation failure is a 400,
# not FastAPI's default 422). Naming the range also keeps FastAPI from documenting its 422.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody, "description": "Refused: the body says why (`error.code`)."}
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: object | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


# One condition, one code, whichever layer noticed it (a 413 raised while reading a chunked
# body is the same "payload_too_large" as one refused by its Content-Length).
_DOMAIN_CODES = {PayloadTooLarge.status: PayloadTooLarge.code, RateLimited.status: RateLimited.code}


def _http_code(status: int) -> str:
    if status in _DOMAIN_CODES:
        return _DOMAIN_CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _describe(errors: list[dict[str, object]]) -> str:
    parts = []
    for error in errors[:5]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body")  # type: ignore[union-attr]
        parts.append(f"{location or 'body'}: {error.get('msg')}")
    return "; ".join(parts)


def without_paths(message: str, library_root: Path | None) -> str:
    """`message` with the library's place on this machine taken out: a path inside it is shown
    relative to it (a client has no business knowing where the server keeps its files)."""
    if library_root is None:
        return message
    root = str(library_root)
    return message.replace(root + "/", "").replace(root, "the library")


def install_error_handlers(app: FastAPI, library_root: Path | None = None) -> None:
    @app.exception_handler(ContactSheetError)
    async def _domain(_request: Request, exc: ContactSheetError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        message = without_paths(exc.message, library_root)
        details = exc.details
        if isinstance(details, str):
            details = without_paths(details, library_root)
        return error_response(exc.status, exc.code, message, details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in {"loc", "msg", "type"}} for e in exc.errors()]
        return error_response(400, "invalid_input", _describe(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        message = without_paths(message, library_root)
        return error_response(
            exc.status_code, _http_code(exc.status_code), message, None, exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log_event(log, "unhandled_error", logging.ERROR, path=request.url.path, error=repr(exc))
        log.exception("unhandled_error_traceback")
        # Answered from outside every middleware (Starlette's last resort), so it carries the
        # security headers itself.
        return error_response(
            500,
            "internal_error",
            "an unexpected error occurred; see the log",
            headers=dict(SECURITY_HEADERS),
        )
