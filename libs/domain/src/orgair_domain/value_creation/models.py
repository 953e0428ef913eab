"""The tables of a value-creation plan: the stored plan, and the reviewer's decision on it.

A plan is built from a company's current approved score (`score_id`): the row keeps that
score's inputs snapshot, the parameter profile row it was planned under, and both
fingerprints (`parameters_hash` of the scoring numbers, `value_creation_hash` of the
EBITDA and cost constants), so the plan and its EBITDA projection recompute exactly.
The decision belongs to the plan it decides (one at most, never updated), like a
score's `ReviewDecision`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import (
    Base,
    CreatedAt,
    JSONText,
    UpdatedAt,
    UUIDPrimaryKey,
    append_only,
    utcnow,
)


class ValueCreationPlan(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """A least-cost improvement plan from a company's approved score, with its EBITDA
    projection; held for review when that projection is above the threshold."""

    __tablename__ = "value_creation_plans"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        Index(None, "company_id", "created_at"),
        Index(None, "company_id", "approved_at"),
        CheckConstraint(
            "review_status IN ('auto_approved', 'pending_review', 'approved', 'rejected')",
            name="review_status_known",
        ),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    score_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("org_air_scores.id"), doc="org_air_scores.id the plan starts from"
    )
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parameter_profiles.id"), doc="parameter_profiles.id planned under"
    )
    parameters_version: Mapped[str] = mapped_column(String(64), doc="Profile name used")
    parameters_hash: Mapped[str] = mapped_column(String(64), doc="Hash of the scoring numbers")
    value_creation_hash: Mapped[str] = mapped_column(
        String(64), doc="Hash of the value-creation constants (EBITDA, plan costs)"
    )
    target_org_air: Mapped[float] = mapped_column(Float, doc="Org-AI-R asked for, 0..100")
    entry_org_air: Mapped[float] = mapped_column(
        Float, doc="The approved score's Org-AI-R (EBITDA entry score)"
    )
    h_r: Mapped[float] = mapped_column(Float, doc="The approved score's H^R")
    projected_org_air: Mapped[float] = mapped_column(
        Float, doc="The engine's Org-AI-R of the planned dimension scores"
    )
    reachable: Mapped[bool] = mapped_column(Boolean, doc="projected_org_air >= target_org_air")
    investment_usd: Mapped[float] = mapped_column(Float, doc="Total cost of the plan, USD")
    ebitda_base: Mapped[float] = mapped_column(Float, doc="Base EBITDA projection, points")
    ebitda_risk_adjusted: Mapped[float] = mapped_column(
        Float, doc="Risk-adjusted EBITDA projection, points (the review gate's number)"
    )
    inputs: Mapped[str] = mapped_column(JSONText, doc="The approved score's inputs snapshot")
    plan: Mapped[str] = mapped_column(
        JSONText, doc="The full plan: per dimension current, target, gap, priority, cost"
    )
    projection: Mapped[str] = mapped_column(
        JSONText, doc="The EBITDA projection: delta, scenarios, risk-adjusted, threshold"
    )
    review_status: Mapped[str] = mapped_column(
        String(20), index=True, doc="auto_approved | pending_review | approved | rejected"
    )
    review_reasons: Mapped[str] = mapped_column(
        JSONText, default="[]", doc="Why it went to review (JSON list; empty = auto-approved)"
    )
    approved_at: Mapped[datetime | None] = mapped_column(
        doc="When it was approved (automatically or by a reviewer)"
    )
    created_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that planned it")


class PlanReviewDecision(UUIDPrimaryKey, Base):
    """A reviewer's decision on one pending plan: who, when, why. Never updated."""

    __tablename__ = "value_creation_plan_decisions"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "decided_at", "id"),
        CheckConstraint("decision IN ('approve', 'reject')", name="decision_known"),
        {"info": append_only("decided_at")},
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("value_creation_plans.id"), unique=True, doc="value_creation_plans.id decided"
    )
    decision: Mapped[str] = mapped_column(String(10), doc="approve | reject")
    comment: Mapped[str | None] = mapped_column(Text, doc="The reviewer's reason")
    reviewer: Mapped[str] = mapped_column(String(64), doc="API key id of the reviewer")
    reviewer_role: Mapped[str] = mapped_column(String(16), doc="Role of that key")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, doc="When it was decided")
