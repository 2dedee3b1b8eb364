"""Streaming multipart/form-data: each file part goes straight to a Stager, so memory stays
constant whatever the size and nothing is copied twice."""

from __future__ import annotations

from email.message import Message
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from contactsheet.errors import InvalidInput
from contactsheet.ingest.staging import StagedFile, Stager

MAX_PARTS = 2000
MAX_FIELD_BYTES = 1024


def boundary_of(content_type: str | None) -> bytes:
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidInput("send the files as multipart/form-data")
    return boundary


def _disposition(raw: bytes) -> tuple[str | None, str | None]:
    message = Message()
    message["content-disposition"] = raw.decode("utf-8", errors="replace")
    return message.get_param("name", header="content-disposition"), message.get_filename()


def _malformed(exc: MultipartParseError) -> InvalidInput:
    # The parser's message names the byte it stopped at: enough for a client author to debug.
    return InvalidInput(f"malformed multipart body: {exc}")


class MultipartReceiver:
    def __init__(self, boundary: bytes, project_dir: Path, max_file_bytes: int) -> None:
        self.project_dir = project_dir
        self.max_file_bytes = max_file_bytes
        self.files: list[StagedFile] = []
        self.fields: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._stager: Stager | None = None
        self._field: tuple[str, bytearray] | None = None
        self._parts = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise _malformed(exc) from exc

    def finish(self) -> None:
        try:
            self._parser.finalize()
        except MultipartParseError as exc:
            raise _malformed(exc) from exc
        if self._stager is not None:
            raise InvalidInput("the request ended in the middle of a file")

    def abort(self) -> None:
        """Remove every temporary file (client gone, or the request was malformed)."""
        if self._stager is not None:
            self._stager.abort()
            self._stager = None
        for staged in self.files:
            staged.discard()

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise InvalidInput(f"at most {MAX_PARTS} files per request")
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        name, filename = _disposition(self._headers.get(b"content-disposition", b""))
        if filename is not None:
            self._stager = Stager(self.project_dir, filename, self.max_file_bytes)
        else:
            self._field = (name or "", bytearray())

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._stager is not None:
            self._stager.write(data[start:end])
        elif self._field is not None:
            value = self._field[1]
            value += data[start:end]
            if len(value) > MAX_FIELD_BYTES:
                raise InvalidInput(f"form field {self._field[0]!r} is too long")

    def _part_end(self) -> None:
        if self._stager is not None:
            self.files.append(self._stager.finish())
            self._stager = None
        elif self._field is not None:
            name, value = self._field
            self.fields[name] = value.decode("utf-8", errors="replace")
            self._field = None
