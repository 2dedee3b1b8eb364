"""Tasks as data: the catalogue file, read once, as small immutable values."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from contactsheet.db.enums import JobScope

CATALOGUE = Path(__file__).with_name("catalogue.yaml")


@dataclass(frozen=True)
class StepDefinition:
    type: str
    priority: int


@dataclass(frozen=True)
class TaskDefinition:
    name: str
    label: str
    scope: JobScope
    steps: tuple[StepDefinition, ...]
    # Tasks of one exclusive group run one at a time: starting one while another of its group
    # runs answers with the running one (docs/jobs.md, "One run at a time").
    exclusive: str | None = None

    def step(self, index: int) -> StepDefinition | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None


def parse_catalogue(document: object) -> dict[str, TaskDefinition]:
    if not isinstance(document, dict):
        raise ValueError("the task catalogue must map task names to definitions")
    tasks = {}
    for name, body in document.items():
        steps = tuple(
            StepDefinition(type=str(step["type"]), priority=int(step["priority"]))
            for step in body["steps"]
        )
        if not steps:
            raise ValueError(f"task {name!r} has no steps")
        if any(not 0 <= s.priority <= 100 for s in steps):
            raise ValueError(f"task {name!r} has a priority outside 0-100")
        exclusive = body.get("exclusive")
        tasks[str(name)] = TaskDefinition(
            name=str(name),
            label=str(body["label"]),
            scope=JobScope(body["scope"]),
            steps=steps,
            exclusive=str(exclusive) if exclusive is not None else None,
        )
    return tasks


@cache
def task_catalogue() -> dict[str, TaskDefinition]:
    return parse_catalogue(yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")))


def catalogue_with_extensions(module_names: list[str]) -> dict[str, TaskDefinition]:
    """The packaged catalogue plus the `TASKS` of extension modules (which may not redefine)."""
    catalogue = dict(task_catalogue())
    for module_name in module_names:
        extra = parse_catalogue(getattr(importlib.import_module(module_name), "TASKS", {}))
        if clash := set(extra) & set(catalogue):
            raise ValueError(f"{module_name} redefines tasks {sorted(clash)}")
        catalogue |= extra
    return catalogue
