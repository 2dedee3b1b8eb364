"""Step type -> handler. Each type has exactly one handler; an unknown type fails clearly."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contactsheet.workers.context import JobContext

Handler = Callable[["JobContext"], dict[str, Any] | None]


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, step_type: str, handler: Handler) -> None:
        if step_type in self._handlers:
            raise ValueError(f"step type {step_type!r} already has a handler")
        self._handlers[step_type] = handler

    def get(self, step_type: str) -> Handler | None:
        return self._handlers.get(step_type)

    def types(self) -> frozenset[str]:
        return frozenset(self._handlers)
