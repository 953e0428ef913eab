"""The value-creation constants of a parameter profile (DESIGN.md §5 "Value creation").

EBITDA projections and improvement plans are recomputed from their profile exactly like
scores, so their constants live in the profile too: `ScoringParameters.value_creation`.
They are fingerprinted apart from the scoring numbers (`value_creation_hash` next to
`parameters_hash`): adding them to the profile changed no hash a stored score carries,
and changing a cost per point does not make a score look computed differently.

The review threshold is not here: `HITL_EBITDA_PROJECTION_THRESHOLD` is a deployment
setting (policy), passed to `project_ebitda` by its caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from orgair_scoring._frozen import FrozenMapping
from orgair_scoring.dimensions import DIMENSIONS, Dimension

MAX_COST_PER_POINT: Final = 1e12
"""A per-point cost above a trillion USD is a typo; the bound also keeps every plan's
total (at most 7 x 100 points) a finite float."""

DEFAULT_COST_PER_POINT: Final[Mapping[str, float]] = FrozenMapping(
    {
        Dimension.DATA_INFRASTRUCTURE.value: 15_000.0,
        Dimension.AI_GOVERNANCE.value: 8_000.0,
        Dimension.TECHNOLOGY_STACK.value: 20_000.0,
        Dimension.TALENT_SKILLS.value: 30_000.0,
        Dimension.LEADERSHIP_VISION.value: 5_000.0,
        Dimension.USE_CASE_PORTFOLIO.value: 12_000.0,
        Dimension.CULTURE_CHANGE.value: 6_000.0,
    }
)
"""USD per point of each dimension: a peer's per-dimension investment table scaled to one
point (DESIGN.md §5); a firm sets its own in a custom profile."""

CostPerPoint = Annotated[float, Field(gt=0, le=MAX_COST_PER_POINT)]
Priority = Literal["high", "medium", "low"]


class ValueCreationParameters(BaseModel):
    """EBITDA-impact coefficients, scenario multipliers, the risk rule, gap priorities and
    the per-point investment costs. The defaults are the course's v2.0 values, carried by
    both built-in profiles."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    gamma_0: float = Field(default=0.0025, ge=0, description="gamma0: EBITDA points per Δ²")
    gamma_1: float = Field(default=0.05, ge=0, description="gamma1: EBITDA points per Δ")
    gamma_2: float = Field(default=0.025, ge=0, description="gamma2: EBITDA points per Δ·H^R/100")
    gamma_3: float = Field(
        default=0.01, ge=0, description="gamma3: risk discount per H^R point below the pivot"
    )
    conservative_multiplier: float = Field(
        default=0.7, ge=0, le=1, description="conservative = multiplier · base"
    )
    optimistic_multiplier: float = Field(
        default=1.4, ge=1, description="optimistic = multiplier · base"
    )
    risk_h_r_pivot: float = Field(
        default=50.0, ge=0, le=100, description="H^R below which execution risk discounts"
    )
    high_priority_gap: float = Field(
        default=20.0, ge=0, le=100, description="A gap above this many points is high priority"
    )
    medium_priority_gap: float = Field(
        default=10.0, ge=0, le=100, description="A gap above this many points is medium priority"
    )
    cost_per_point: Mapping[str, CostPerPoint] = Field(
        default=DEFAULT_COST_PER_POINT,
        description="USD to raise each dimension by one point (all seven, > 0)",
    )

    @field_validator("cost_per_point", mode="after")
    @classmethod
    def _seven_costs(cls, value: Mapping[str, float]) -> Mapping[str, float]:
        missing = [name for name in DIMENSIONS if name not in value]
        unknown = sorted(set(value) - set(DIMENSIONS))
        problems = []
        if missing:
            problems.append(f"missing dimension(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown dimension(s) {', '.join(unknown)}")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (expected: {', '.join(DIMENSIONS)})")
        return FrozenMapping({name: value[name] for name in DIMENSIONS})

    @model_validator(mode="after")
    def _priorities_ordered(self) -> Self:
        if self.medium_priority_gap > self.high_priority_gap:
            raise ValueError(
                f"medium_priority_gap ({self.medium_priority_gap}) must not exceed "
                f"high_priority_gap ({self.high_priority_gap})"
            )
        return self

    @field_serializer("cost_per_point")
    def _plain_dict(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return dict(value)

    def priority(self, gap: float) -> Priority:
        """`high` above `high_priority_gap` points, `medium` above `medium_priority_gap`,
        else `low`."""
        if gap > self.high_priority_gap:
            return "high"
        if gap > self.medium_priority_gap:
            return "medium"
        return "low"
