from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orgair_domain.assessments.status import AssessmentStatus, AssessmentType

Percent = Annotated[float, Field(ge=0, le=100)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class ScoringInputs(BaseModel):
    """What scoring needs besides the seven dimension scores (DESIGN.md §5)."""

    model_config = ConfigDict(extra="forbid")

    talent_concentration: Fraction | None = Field(default=None, description="TC, 0..1")
    market_cap_percentile: Fraction | None = Field(default=None, description="0..1")
    alignment: Fraction | None = Field(
        default=None, description="0..1; default 1 - |V^R - H^R|/100"
    )
    timing_factor: float | None = Field(
        default=None, gt=0, description="Clamped to the profile's bounds; default per sector"
    )


Assessor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class AssessmentCreate(ScoringInputs):
    model_config = ConfigDict(extra="forbid")

    company_id: uuid.UUID
    assessment_type: AssessmentType
    assessment_date: date
    status: Literal[AssessmentStatus.DRAFT] = AssessmentStatus.DRAFT
    primary_assessor: Assessor | None = None
    secondary_assessor: Assessor | None = None
    v_r_score: Percent | None = None
    confidence_lower: Percent | None = None
    confidence_upper: Percent | None = None

    @model_validator(mode="after")
    def _confidence_ordered(self) -> Self:
        lower, upper = self.confidence_lower, self.confidence_upper
        if lower is not None and upper is not None and lower > upper:
            raise ValueError("confidence_lower must be less than or equal to confidence_upper")
        return self


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AssessmentStatus


class AssessmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    company_id: uuid.UUID
    assessment_type: AssessmentType
    assessment_date: date
    status: AssessmentStatus
    primary_assessor: str | None
    secondary_assessor: str | None
    v_r_score: float | None
    confidence_lower: float | None
    confidence_upper: float | None
    talent_concentration: float | None
    market_cap_percentile: float | None
    alignment: float | None
    timing_factor: float | None
    created_at: datetime
