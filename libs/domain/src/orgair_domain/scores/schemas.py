from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orgair_database.values import VISIBLE_TEXT, StoredCount
from orgair_domain.assessments.schemas import AssessmentOut
from orgair_domain.dimension_scores.schemas import DimensionScoreOut
from orgair_domain.parameters.schemas import ProfileName
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_scoring import CompanyInputs


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileName | None = Field(
        default=None, description="Parameter profile name; default PARAM_VERSION"
    )


class ReviewDecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    decision: Literal["approve", "reject"]
    comment: str | None
    reviewer: str
    reviewer_role: str
    decided_at: datetime


class ScoreOut(BaseModel):
    kind: Literal["score"] = "score"
    id: uuid.UUID
    assessment_id: uuid.UUID
    company_id: uuid.UUID
    parameters_version: str
    parameters_hash: str
    org_air: float
    vr: float
    hr: float
    synergy: float
    org_air_ci: tuple[float, float]
    review_status: ReviewStatus
    review_reasons: list[str]
    compared_with_score_id: uuid.UUID | None
    approved_at: datetime | None
    created_by: str | None
    created_at: datetime
    breakdown: dict[str, Any] = Field(description="The full ScoreResult: every intermediate")
    inputs: dict[str, Any] = Field(description="The CompanyInputs snapshot it was computed from")
    review: ReviewDecisionOut | None = None


class CompanyScoresOut(BaseModel):
    company_id: uuid.UUID
    current: ScoreOut | None = Field(description="The latest approved score")
    trend: Literal["improving", "stable", "declining"] | None = Field(
        description="Latest approved vs first approved Org-AI-R, ±5 points; null when unscored"
    )
    history: list[ScoreOut] = Field(description="Every computed score, newest first")


class AssessmentDetailOut(AssessmentOut):
    dimension_scores: list[DimensionScoreOut]
    scores: list[ScoreOut] = Field(description="Scores computed from this assessment, newest first")


class PreviewInputs(CompanyInputs):
    id: Annotated[str, StringConstraints(min_length=1, max_length=255), VISIBLE_TEXT] = "preview"
    sector: Annotated[str, StringConstraints(min_length=1, max_length=64), VISIBLE_TEXT] = Field(
        description="Sector key (case-insensitive); a sector the profile does not list "
        "uses the profile's default_sector",
    )
    # The engine takes any count; over HTTP it is bounded like every stored count.
    evidence_count: StoredCount = Field(description="n in the Spearman-Brown reliability")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: PreviewInputs
    profile: ProfileName | None = Field(
        default=None, description="Base profile; default PARAM_VERSION"
    )
    overrides: dict[str, Any] | None = Field(
        default=None, description="What-if changes to the profile (any part of ScoringParameters)"
    )
