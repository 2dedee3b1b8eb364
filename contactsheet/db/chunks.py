"""How many values one `IN (…)` list may hold.

A list built from a payload or a scan (cache validation's photos needing work, discovery's
indexed photos, a commit's regenerations) can name a whole library. One statement may bind at
most 32,766 values on SQLite's stock build and 65,535 over PostgreSQL's protocol, so such a list
is always queried in chunks of `IN_LIST_LIMIT`, which leaves room for the statement's other values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

# SQLITE_MAX_VARIABLE_NUMBER of a stock build; some distributions raise it, and every connection
# is held to this one (database.py) so a statement too big for a stock build fails everywhere.
SQLITE_MAX_PARAMETERS = 32_766
IN_LIST_LIMIT = 10_000


def chunked(values: Iterable[T], size: int = IN_LIST_LIMIT) -> Iterator[list[T]]:
    """`values` in consecutive lists of at most `size` (the last one shorter), in order."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk
