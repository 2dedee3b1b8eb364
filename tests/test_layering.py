"""The package's layering, as docs/architecture.md draws it: each module imports only from its own
row of the table or rows above it, and the API routers and the command line, which only parse,
call and shape, import no SQLAlchemy and no tables.

The layers are read from the document itself, so the table and this test cannot drift apart, and
a module that is not in the table fails here until the table says where it belongs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "contactsheet"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Routers and commands parse input, call one domain function and shape its output.
THIN = ("api", "cli")
NOT_IN_THIN = ("sqlalchemy", "db.tables")  # the second within the package

# Imports the restructuring has still to remove, each with where it goes. This list only shrinks.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "contactsheet.api.jobs"
    target: str  # what it imports, e.g. "contactsheet.db.tables"
    line: int


def layers_from(document: str) -> list[set[str]]:
    """The top-level parts of the package named in the first column of the layer table, one set
    per row, top row first: "`errors.py`, `clock.py`" names "errors" and "clock"."""
    rows: list[set[str]] = []
    in_table = False
    for line in document.splitlines():
        if line.startswith("| Module |"):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if in_table and not line.startswith("|---"):
            first = line.split("|")[1]
            names = {re.sub(r"(\.py|/)$", "", name) for name in re.findall(r"`([^`]+)`", first)}
            rows.append(names)
    return rows


def imports_of(package: Path) -> Iterator[Import]:
    """Every import of the package's modules, those inside functions and `TYPE_CHECKING` too: a
    type named from above is a dependency on it all the same."""
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield Import(module, node.module, node.lineno)


def part_of(module: str, package: str) -> str:
    """The top-level part a module belongs to: "contactsheet.api.jobs" is in "api"; the package's
    own `__init__` is "__init__"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == package else "__init__"


def violations(
    package: Path, layers: list[set[str]], allowed: frozenset[tuple[str, str]]
) -> list[str]:
    name = package.name
    row = {part: index for index, names in enumerate(layers) for part in names}
    found: list[str] = []
    for imp in imports_of(package):
        here = part_of(imp.module, name)
        where = f"{imp.module}:{imp.line} imports {imp.target}"
        if here not in row:
            found.append(f"{imp.module}: not in the layer table of docs/architecture.md")
            continue
        if (imp.module, imp.target) in allowed:
            continue
        database = (NOT_IN_THIN[0], f"{name}.{NOT_IN_THIN[1]}")
        if here in THIN and imp.target.startswith(database):
            found.append(f"{where}: routers and commands use the domain, not the database")
        if imp.target == name or imp.target.startswith(f"{name}."):
            there = part_of(imp.target, name)
            if there not in row:
                found.append(f"{where}: {there} is not in the layer table")
            elif row[there] > row[here]:
                found.append(f"{where}: {here} may not import {there}, a row below it")
    return sorted(set(found))


def import_loops(package: Path) -> list[list[str]]:
    """Groups of modules that import each other in a loop (for types too): each group should be
    one module, or one of them should give up what it takes from the other."""
    modules: set[str] = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    edges: dict[str, set[str]] = {module: set() for module in modules}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        here = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != here:
                    edges[here].add(target)
                    break
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(edges[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                loops.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(loops)


def transactions_in(package: Path, parts: tuple[str, ...]) -> list[str]:
    """Places in `parts` that open a database transaction (`….db.read()`, `….db.write()`):
    the work inside one belongs to a domain function."""
    found = []
    for part in parts:
        files = [package / f"{part}.py"] if (package / f"{part}.py").is_file() else []
        for path in sorted([*files, *(package / part).rglob("*.py")]):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("read", "write")
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "db"
                ):
                    where = path.relative_to(package.parent)
                    found.append(f"{where}:{node.lineno} opens a transaction")
    return found


@pytest.fixture(scope="module")
def layers() -> list[set[str]]:
    rows = layers_from(ARCHITECTURE.read_text())
    assert len(rows) > 10, "the layer table of docs/architecture.md was not found"
    return rows


def test_every_import_points_down_the_layers(layers: list[set[str]]) -> None:
    assert violations(PACKAGE, layers, ALLOWED) == []


def test_no_modules_import_each_other_in_a_loop() -> None:
    assert import_loops(PACKAGE) == []


def test_routers_and_commands_open_no_transaction() -> None:
    assert transactions_in(PACKAGE, THIN) == []


def test_every_part_of_the_package_is_in_the_table(layers: list[set[str]]) -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    missing = sorted((modules | packages) - set().union(*layers))
    assert missing == [], f"parts of the package missing from the layer table: {missing}"


def test_the_allowed_exceptions_still_exist(layers: list[set[str]]) -> None:
    """An exception that no longer occurs is taken off the list, so the list only shrinks."""
    current = {(imp.module, imp.target) for imp in imports_of(PACKAGE)}
    assert sorted(ALLOWED - current) == []


# --- the test of the test: a small package with every kind of wrong import ---------------------

TOY_TABLE = """
| Module | Owns |
|---|---|
| `errors.py` | errors |
| `db/` | the database |
| `jobs/` | the queue |
| `api/`, `cli.py` | the outside |
"""


def _toy(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "toy"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_a_transaction_in_a_router_is_found(tmp_path: Path) -> None:
    package = _toy(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/routes.py": "def route(runtime):\n    with runtime.db.write() as session:\n"
            "        session.add(1)\n    return runtime.db.dialect\n",
            "cli.py": "def command(db):\n    return db.read()\n",  # not a runtime's database
        },
    )
    assert transactions_in(package, ("api", "cli")) == ["toy/api/routes.py:2 opens a transaction"]


def test_a_loop_of_imports_is_found(tmp_path: Path) -> None:
    package = _toy(
        tmp_path,
        {
            "jobs/__init__.py": "",
            "jobs/queue.py": "from toy.jobs.views import View\n",
            "jobs/views.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from toy.jobs.queue import Queue\n",
            "jobs/alone.py": "from toy.jobs import views\n",
        },
    )
    assert import_loops(package) == [["toy.jobs.queue", "toy.jobs.views"]]


def test_the_table_is_read_row_by_row() -> None:
    assert layers_from(TOY_TABLE) == [{"errors"}, {"db"}, {"jobs"}, {"api", "cli"}]


def test_a_wrong_import_is_found_wherever_it_hides(tmp_path: Path) -> None:
    package = _toy(
        tmp_path,
        {
            "errors.py": "",
            "db/__init__.py": "from toy.errors import *\n",
            "db/tables.py": "import sqlalchemy\n",
            # a lower layer importing a higher one, at the top, inside a function and for a type
            "jobs/__init__.py": "",
            "jobs/queue.py": "import toy.db.tables\n",
            "jobs/late.py": "def f():\n    from toy.api import routes\n",
            "jobs/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from toy.cli import app\n",
            # the outside touching the database directly
            "api/__init__.py": "",
            "api/routes.py": "from sqlalchemy import select\nfrom toy.db.tables import Job\n"
            "from toy.jobs.queue import x\n",
            "cli.py": "from toy.jobs import queue\n",
            "stray.py": "import os\n",
        },
    )
    found = violations(package, layers_from(TOY_TABLE), frozenset())
    assert found == [
        "toy.api.routes:1 imports sqlalchemy: routers and commands use the domain, not the "
        "database",
        "toy.api.routes:2 imports toy.db.tables: routers and commands use the domain, not the "
        "database",
        "toy.jobs.late:2 imports toy.api: jobs may not import api, a row below it",
        "toy.jobs.typed:3 imports toy.cli: jobs may not import cli, a row below it",
        "toy.stray: not in the layer table of docs/architecture.md",
    ]
    allowed = frozenset({("toy.jobs.late", "toy.api")})
    assert not any(
        "toy.jobs.late" in line for line in violations(package, layers_from(TOY_TABLE), allowed)
    )
