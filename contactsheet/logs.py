"""Structured logging: every record is an event name plus key=value fields (or one JSON object)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

# A structured event's fields travel in one attribute of the record, so no field name can collide
# with a LogRecord attribute (`name`, `msg`, `module`, …): the standard library raises KeyError on
# such a collision, which would turn any request that logs it into a 500.
_FIELDS_ATTR = "contactsheet_fields"
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
    _FIELDS_ATTR,
}

# Libraries that narrate their work at INFO: a thousand-photo import would log tens of thousands
# of lines of libvips' progress chatter. What a decode warns about is kept on the derivative record.
_CHATTY_LOGGERS = ("pyvips",)


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record made by `log_event` (and any other `extra` it carries)."""
    return _fields(record)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    extras = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
    extras.update(getattr(record, _FIELDS_ATTR, None) or {})
    return extras


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        parts = [stamp, record.levelname.lower(), f"logger={record.name}"]
        parts.append(f"event={_quote(record.getMessage())}")
        parts.extend(f"{k}={_quote(v)}" for k, v in _fields(record).items())
        if record.exc_info:
            parts.append("exc=" + json.dumps(self.formatException(record.exc_info)))
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        # A field never replaces the record's own keys (`logger`, `event`, …).
        body.update({k: v for k, v in _fields(record).items() if k not in body})
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    quiet_chatty_libraries()


def quiet_chatty_libraries() -> None:
    """Send libraries' progress narration to debug: shown only when debug logging is asked for."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)


def log_event(
    logger: logging.Logger, event: str, level: int = logging.INFO, /, **fields: Any
) -> None:
    """Log `event` with `fields` as structured attributes (`event=project_created id=3`).

    Any field name is allowed, including ones the standard library reserves (`name`, `args`)
    and `logger`, `event` and `level` themselves: the three leading parameters are positional."""
    logger.log(level, event, extra={_FIELDS_ATTR: fields})
