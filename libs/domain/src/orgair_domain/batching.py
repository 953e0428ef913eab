"""Splitting long id lists for `IN (...)` queries.

SQLite limits bound parameters per statement and long `IN` lists plan badly
everywhere, so queries over thousands of ids run in slices of `IN_LIST_SIZE`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST_SIZE = 500


def slices(items: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (none for an empty sequence)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]
