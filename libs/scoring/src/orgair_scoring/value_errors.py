"""The one error value creation raises for bad input, naming the field it is about.

Out-of-range scores, a target below the entry score, or a profile the planner cannot
plan under are the caller's mistakes (the API answers 422 naming `field`; the CLI
reports the line). Columnar input raises `ColumnValidationError` instead, which also
names the row.
"""

from __future__ import annotations

import math


class ValueCreationInputError(ValueError):
    """`field` is wrong: `problem` says how."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check_score(field: str, value: float) -> float:
    """`value` if it is a finite number in [0, 100], else `ValueCreationInputError`."""
    if not (math.isfinite(value) and 0.0 <= value <= 100.0):
        raise ValueCreationInputError(field, f"{value!r} is outside [0, 100]")
    return float(value)
