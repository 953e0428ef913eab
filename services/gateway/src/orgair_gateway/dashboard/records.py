"""API records shown as they are: for the sections whose endpoints are new or still
growing (value-creation plans and the fund roll-up, evidence, justifications).

The page knows no schema for them: it lists a record's fields in the API's order
(nested objects as nested lists, lists of objects as tables), so whatever the
endpoint answers is what is shown, and nothing that it does not answer. The one
thing recognised is a set of EBITDA scenarios (`conservative`, `base`,
`optimistic`, `risk_adjusted`), which is also drawn as a chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SCENARIOS", "find_scenarios", "items_of", "table_columns"]

SCENARIOS = ("conservative", "base", "optimistic", "risk_adjusted")
MAX_DEPTH = 4


def items_of(answer: Any) -> list[Mapping[str, Any]]:
    """The records of a list answer: a JSON array, or a page envelope's `items`."""
    if isinstance(answer, Mapping):
        items = answer.get("items")
        return (
            [item for item in items if isinstance(item, Mapping)]
            if isinstance(items, list)
            else [answer]
        )
    if isinstance(answer, list):
        return [item for item in answer if isinstance(item, Mapping)]
    return []


def table_columns(rows: Sequence[Any]) -> list[str]:
    """The fields of a list of objects, in first-seen order (a table's columns)."""
    columns: dict[str, None] = {}
    for row in rows:
        if isinstance(row, Mapping):
            for name in row:
                columns.setdefault(str(name), None)
    return list(columns)


def find_scenarios(record: Any, depth: int = 0) -> list[tuple[str, float]] | None:
    """The first object in `record` holding two or more numeric EBITDA scenarios."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(record, Mapping):
        found = [
            (name, float(record[name]))
            for name in SCENARIOS
            if isinstance(record.get(name), int | float) and not isinstance(record[name], bool)
        ]
        if len(found) >= 2:
            return found
        for value in record.values():
            nested = find_scenarios(value, depth + 1)
            if nested:
                return nested
    elif isinstance(record, list):
        for value in record:
            nested = find_scenarios(value, depth + 1)
            if nested:
                return nested
    return None
