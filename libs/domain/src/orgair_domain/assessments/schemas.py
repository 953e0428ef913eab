from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from orgair_database.values import VISIBLE_TEXT
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
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Clamped to the profile's bounds; default per sector",
    )


Assessor = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), VISIBLE_TEXT
]

_DATETIME = TypeAdapter(datetime)
_ISO_DATE_LENGTH = len("2026-01-01")


def _utc_date(value: Any) -> Any:
    """A date-time (a datetime, or ISO 8601 text longer than a date) becomes its date in
    UTC, a naive one being UTC already; anything else is left to the date parser."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value.strip()) > _ISO_DATE_LENGTH:
        try:
            moment = _DATETIME.validate_python(value.strip())
        except ValidationError:
            raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 date-time") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # pydantic would read a number as Unix time; the document says text.
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 date-time")
    else:
        return value
    return (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()


def today_utc() -> date:
    return datetime.now(UTC).date()


# CS1: the assessment date defaults to today (UTC). A date-time is taken as its UTC date.
AssessmentDate = Annotated[
    date,
    BeforeValidator(_utc_date),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    ),
]


class AssessmentCreate(ScoringInputs):
    model_config = ConfigDict(extra="forbid")

    company_id: uuid.UUID
    assessment_type: AssessmentType
    assessment_date: AssessmentDate = Field(
        default_factory=today_utc,
        description="The day of the assessment: a date (YYYY-MM-DD), or a date-time, of "
        "which the date in UTC is taken (a date-time without an offset is read as UTC). "
        "Default: today in UTC.",
    )
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
