"""What the engine takes (`CompanyInputs`) and what it returns (`ScoreResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from orgair_scoring._frozen import FrozenMapping
from orgair_scoring.dimensions import DIMENSIONS

DimensionScore = Annotated[float, Field(ge=0, le=100)]


class CompanyInputs(BaseModel):
    """One company's scoring inputs. Out-of-range, missing or unknown values are rejected
    with a message naming the field; nothing is clamped here (the timing factor is clamped
    by the formula itself, DESIGN.md §5)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str = Field(min_length=1, description="The company's identifier, echoed in the result")
    sector: str = Field(
        min_length=1,
        description="Sector key (case-insensitive); a sector the profile does not list "
        "uses the profile's default_sector",
    )
    dimensions: Mapping[str, DimensionScore] = Field(
        description="All seven dimension scores, 0..100"
    )
    talent_concentration: float = Field(ge=0, le=1, description="TC")
    market_cap_percentile: float = Field(ge=0, le=1, description="mcap_pct")
    h_r_base: float | None = Field(
        default=None, ge=0, le=100, description="Overrides the sector's HR_base"
    )
    alignment: float | None = Field(
        default=None, ge=0, le=1, description="Default 1 - |V^R - H^R|/100"
    )
    timing_factor: float | None = Field(
        default=None, gt=0, description="Default: the sector's timing; clamped to timing_bounds"
    )
    evidence_count: int = Field(ge=0, description="n in the Spearman-Brown reliability")

    @field_validator("sector", mode="after")
    @classmethod
    def _sector_key(cls, value: str) -> str:
        # Profiles key sectors in lower case; "Technology" must not fall through to "others".
        normalised = value.strip().lower()
        if not normalised:
            raise ValueError("must not be blank")
        return normalised

    @field_validator("dimensions", mode="after")
    @classmethod
    def _all_seven_dimensions(cls, value: Mapping[str, float]) -> Mapping[str, float]:
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

    @field_serializer("dimensions")
    def _plain_dict(self, value: Mapping[str, float]) -> dict[str, float]:
        return dict(value)


Interval = tuple[float, float]


class ScoreIntervals(BaseModel):
    """(lower, upper) confidence bounds of each score, clamped to 0..100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vr: Interval
    hr: Interval
    synergy: Interval
    org_air: Interval


class ScoreResult(BaseModel):
    """One company's Org-AI-R with every intermediate of DESIGN.md §5."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    weighted_mean: float = Field(description="M: weighted mean of the dimension scores")
    cv: float = Field(description="sigma_w / M (0 when M = 0)")
    vr: float = Field(description="V^R, 0..100")
    position_factor: float = Field(description="PF, -1..1")
    hr: float = Field(description="H^R, 0..100")
    alignment: float = Field(description="Alignment used for synergy, 0..1")
    timing_factor: float = Field(description="Timing used for synergy, after clamping")
    synergy: float = Field(description="Synergy, 0..100")
    org_air: float = Field(description="Org-AI-R, 0..100")
    ci: ScoreIntervals
    parameters_version: str
    parameters_hash: str

    def to_json_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (`ci` bounds as two-element lists)."""
        return self.model_dump(mode="json")
