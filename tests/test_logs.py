"""Structured logging at the level `serve` runs at: any field name, both formats, quiet libvips."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from contactsheet.logs import JsonFormatter, KeyValueFormatter, configure_logging, log_event

# Every attribute the standard library puts on a record, plus the ones its formatters add.
RECORD_ATTRIBUTES = sorted(
    set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    text, data = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(text), logging.StreamHandler(data)]
    handlers[0].setFormatter(KeyValueFormatter())
    handlers[1].setFormatter(JsonFormatter())
    logger = logging.getLogger("contactsheet.test_logs")
    logger.setLevel(logging.INFO)
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield logger, text, data
    finally:
        for handler in handlers:
            logger.removeHandler(handler)


@pytest.mark.parametrize("field", RECORD_ATTRIBUTES)
def test_a_field_named_like_a_record_attribute_is_logged(
    captured: tuple[logging.Logger, io.StringIO, io.StringIO], field: str
) -> None:
    logger, text, data = captured
    log_event(logger, "upload_completed", **{field: "IMG 0001.JPG", "status": "stored"})
    line = text.getvalue().strip()
    assert "event=upload_completed" in line and "status=stored" in line
    assert f'{field}="IMG 0001.JPG"' in line
    body = json.loads(data.getvalue())
    assert body["event"] == "upload_completed" and body["status"] == "stored"
    assert body["logger"] == "contactsheet.test_logs" and body["level"] == "info"
    if field not in ("event", "logger", "level", "ts"):
        assert body[field] == "IMG 0001.JPG"


def test_fields_that_would_shadow_the_json_keys_do_not(
    captured: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, _, data = captured
    log_event(logger, "photo_moved", logger="someone", level="high", event="other")
    body = json.loads(data.getvalue())
    assert body["event"] == "photo_moved" and body["logger"] == "contactsheet.test_logs"
    assert body["level"] == "info"


def test_libvips_narration_stays_out_of_an_info_log() -> None:
    import pyvips

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.DEBUG)
    root = logging.getLogger()
    previous = root.handlers[:], root.level
    try:
        configure_logging("info", "text")
        root.addHandler(keep)
        image = pyvips.Image.black(400, 300)
        image.thumbnail_image(40).write_to_buffer(".jpg")
        assert [r for r in records if r.name == "pyvips"] == []
        configure_logging("debug", "text")
        root.addHandler(keep)
        image.thumbnail_image(40).write_to_buffer(".jpg")
        assert any(r.name == "pyvips" for r in records)  # asked for, it is still there
    finally:
        configure_logging("info", "text")
        root.handlers[:], _ = previous
        root.setLevel(previous[1])
