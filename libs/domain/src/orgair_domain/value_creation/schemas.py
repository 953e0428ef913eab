"""What the value-creation API takes and returns (DESIGN.md §5 "Value creation")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orgair_domain.parameters.schemas import ProfileName
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ReviewDecisionOut


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_org_air: float = Field(
        ge=0.0, le=100.0, allow_inf_nan=False,
        description="The Org-AI-R to reach; at least the current approved score",
    )  # fmt: skip
    profile: ProfileName | None = Field(
        default=None,
        description="Parameter profile name; default the current approved score's profile",
    )


class EbitdaPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_score: float = Field(ge=0.0, le=100.0, allow_inf_nan=False)
    target_score: float = Field(
        ge=0.0, le=100.0, allow_inf_nan=False, description="At least entry_score"
    )
    h_r_score: float = Field(ge=0.0, le=100.0, allow_inf_nan=False)
    profile: ProfileName | None = Field(
        default=None, description="Parameter profile name; default PARAM_VERSION"
    )


class EbitdaProjectionOut(BaseModel):
    """Percentage points of EBITDA, and whether a reviewer must see it."""

    delta: float = Field(description="target - entry, Org-AI-R points")
    conservative: float
    base: float
    optimistic: float
    risk_adjusted: float
    requires_review: bool = Field(
        description="risk_adjusted > HITL_EBITDA_PROJECTION_THRESHOLD (review_threshold)"
    )
    review_threshold: float
    parameters_version: str
    value_creation_hash: str


class DimensionPlanOut(BaseModel):
    current: float
    target: float
    gap: float = Field(description="target - current, points")
    priority: Literal["high", "medium", "low"] = Field(
        description="high > 20 points, medium > 10, else low"
    )
    investment_usd: float


class PlanOut(BaseModel):
    kind: Literal["value_creation_plan"] = "value_creation_plan"
    id: uuid.UUID
    company_id: uuid.UUID
    score_id: uuid.UUID = Field(description="The approved score the plan starts from")
    parameters_version: str
    parameters_hash: str
    value_creation_hash: str
    target_org_air: float
    entry_org_air: float = Field(description="The approved score's Org-AI-R (EBITDA entry)")
    h_r: float = Field(description="The approved score's H^R")
    current_org_air: float = Field(description="The engine's Org-AI-R of the inputs today")
    projected_org_air: float = Field(description="The engine's Org-AI-R of the planned inputs")
    reachable: bool
    investment_usd: float
    dimensions: dict[str, DimensionPlanOut]
    ebitda: EbitdaProjectionOut = Field(
        description="Projection from entry_org_air to the target (or, when unreachable, to "
        "projected_org_air)"
    )
    review_status: ReviewStatus
    review_reasons: list[str]
    approved_at: datetime | None
    created_by: str | None
    created_at: datetime
    inputs: dict[str, Any] = Field(description="The CompanyInputs snapshot it was planned from")
    review: ReviewDecisionOut | None = None
