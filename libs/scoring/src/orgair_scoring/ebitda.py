"""EBITDA impact of moving a company's Org-AI-R from an entry score to a target
(DESIGN.md §5 "Value creation").

    Δ = T - E,  h = H^R / 100
    base          = gamma0·Δ² + gamma1·Δ + gamma2·Δ·h          (percentage points of EBITDA)
    conservative  = 0.7·base,  optimistic = 1.4·base
    risk_adjusted = base · clamp₀¹(1 - gamma3·max(0, 50 - H^R))
    requires_review ⇔ risk_adjusted > HITL_EBITDA_PROJECTION_THRESHOLD

Every constant comes from the profile's `value_creation` part; the review threshold is a
deployment setting, so the caller passes it. `project_ebitda` evaluates one projection
in plain floats, `project_ebitda_batch` many with NumPy in the same order of operations,
so both give the same numbers to the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict

from orgair_scoring.batch import ColumnValidationError, FloatArray, _first_row, _required_column
from orgair_scoring.parameters import ScoringParameters
from orgair_scoring.value_errors import ValueCreationInputError, check_score

PROJECTION_FIELDS: Final = (
    "delta",
    "conservative",
    "base",
    "optimistic",
    "risk_adjusted",
    "requires_review",
)
"""The numbers of an `EbitdaProjection`, in its field order (provenance aside)."""


class EbitdaProjection(BaseModel):
    """The EBITDA impact of reaching `target` from `entry` (percentage points)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delta: float
    conservative: float
    base: float
    optimistic: float
    risk_adjusted: float
    requires_review: bool
    parameters_version: str
    value_creation_hash: str

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def check_projection_inputs(entry_score: float, target_score: float, h_r_score: float) -> None:
    """E, T, H^R ∈ [0, 100] and T ≥ E, else `ValueCreationInputError` naming the field."""
    check_score("entry_score", entry_score)
    check_score("target_score", target_score)
    check_score("h_r_score", h_r_score)
    if target_score < entry_score:
        raise ValueCreationInputError(
            "target_score", f"{target_score!r} is below entry_score {entry_score!r}"
        )


def _check_threshold(review_threshold: float) -> float:
    if not math.isfinite(review_threshold):
        raise ValueCreationInputError("review_threshold", f"{review_threshold!r} is not finite")
    return float(review_threshold)


def project_ebitda(
    entry_score: float,
    target_score: float,
    h_r_score: float,
    params: ScoringParameters,
    *,
    review_threshold: float,
) -> EbitdaProjection:
    """The projection for one company; `review_threshold` is the
    `HITL_EBITDA_PROJECTION_THRESHOLD` setting (percentage points)."""
    check_projection_inputs(entry_score, target_score, h_r_score)
    threshold = _check_threshold(review_threshold)
    value = params.value_creation
    delta = target_score - entry_score
    h = h_r_score / 100.0
    base = value.gamma_0 * delta * delta + value.gamma_1 * delta + value.gamma_2 * delta * h
    excess_risk = max(value.risk_h_r_pivot - h_r_score, 0.0)
    risk_factor = min(max(1.0 - value.gamma_3 * excess_risk, 0.0), 1.0)
    risk_adjusted = base * risk_factor
    return EbitdaProjection(
        delta=delta,
        conservative=value.conservative_multiplier * base,
        base=base,
        optimistic=value.optimistic_multiplier * base,
        risk_adjusted=risk_adjusted,
        requires_review=risk_adjusted > threshold,
        parameters_version=params.version,
        value_creation_hash=params.value_creation_hash,
    )


@dataclass(frozen=True, slots=True)
class EbitdaColumns:
    """`EbitdaProjection`s of many companies as columns (row i = input row i)."""

    delta: FloatArray
    conservative: FloatArray
    base: FloatArray
    optimistic: FloatArray
    risk_adjusted: FloatArray
    requires_review: NDArray[np.bool_]
    parameters_version: str
    value_creation_hash: str

    def __len__(self) -> int:
        return len(self.delta)

    def projection(self, index: int) -> EbitdaProjection:
        return EbitdaProjection(
            delta=float(self.delta[index]),
            conservative=float(self.conservative[index]),
            base=float(self.base[index]),
            optimistic=float(self.optimistic[index]),
            risk_adjusted=float(self.risk_adjusted[index]),
            requires_review=bool(self.requires_review[index]),
            parameters_version=self.parameters_version,
            value_creation_hash=self.value_creation_hash,
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every row as JSON-ready data shaped like `EbitdaProjection.to_json_dict()`."""
        columns = [getattr(self, name).tolist() for name in PROJECTION_FIELDS]
        provenance = {
            "parameters_version": self.parameters_version,
            "value_creation_hash": self.value_creation_hash,
        }
        return [
            dict(zip(PROJECTION_FIELDS, row, strict=True)) | provenance
            for row in zip(*columns, strict=True)
        ]


def project_ebitda_batch(
    entry_scores: ArrayLike,
    target_scores: ArrayLike,
    h_r_scores: ArrayLike,
    params: ScoringParameters,
    *,
    review_threshold: float,
) -> EbitdaColumns:
    """`project_ebitda` for every row at once; a bad value raises `ColumnValidationError`
    naming the column and the row."""
    if np.ndim(entry_scores) != 1:
        raise ColumnValidationError("entry_score", "expected a one-dimensional column")
    count = len(np.asarray(entry_scores))
    entry = _required_column("entry_score", entry_scores, count, 0.0, 100.0)
    target = _required_column("target_score", target_scores, count, 0.0, 100.0)
    h_r = _required_column("h_r_score", h_r_scores, count, 0.0, 100.0)
    below = target < entry
    if below.any():
        row = _first_row(below)
        raise ColumnValidationError(
            "target_score",
            f"{float(target[row])!r} is below entry_score {float(entry[row])!r}",
            row,
        )
    try:
        threshold = _check_threshold(review_threshold)
    except ValueCreationInputError as exc:
        raise ColumnValidationError("review_threshold", exc.problem) from None
    value = params.value_creation
    delta = target - entry
    h = h_r / 100.0
    base = value.gamma_0 * delta * delta + value.gamma_1 * delta + value.gamma_2 * delta * h
    excess_risk = np.maximum(value.risk_h_r_pivot - h_r, 0.0)
    risk_factor = np.clip(1.0 - value.gamma_3 * excess_risk, 0.0, 1.0)
    risk_adjusted = base * risk_factor
    return EbitdaColumns(
        delta=delta,
        conservative=value.conservative_multiplier * base,
        base=base,
        optimistic=value.optimistic_multiplier * base,
        risk_adjusted=risk_adjusted,
        requires_review=risk_adjusted > threshold,
        parameters_version=params.version,
        value_creation_hash=params.value_creation_hash,
    )
