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

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, utcnow


class ValueCreationPlan(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "value_creation_plans"
    __table_args__ = (
        Index(None, "company_id", "created_at"),
        Index(None, "company_id", "approved_at"),
        CheckConstraint(
            "review_status IN ('auto_approved', 'pending_review', 'approved', 'rejected')",
            name="review_status_known",
        ),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    score_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_air_scores.id"))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parameter_profiles.id"))
    parameters_version: Mapped[str] = mapped_column(String(64))
    parameters_hash: Mapped[str] = mapped_column(String(64))
    value_creation_hash: Mapped[str] = mapped_column(String(64))
    target_org_air: Mapped[float] = mapped_column(Float)
    entry_org_air: Mapped[float] = mapped_column(Float)
    h_r: Mapped[float] = mapped_column(Float)
    projected_org_air: Mapped[float] = mapped_column(Float)
    reachable: Mapped[bool] = mapped_column(Boolean)
    investment_usd: Mapped[float] = mapped_column(Float)
    ebitda_base: Mapped[float] = mapped_column(Float)
    ebitda_risk_adjusted: Mapped[float] = mapped_column(Float)
    inputs: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text)
    projection: Mapped[str] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(20), index=True)
    review_reasons: Mapped[str] = mapped_column(Text, default="[]")
    approved_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))


class PlanReviewDecision(UUIDPrimaryKey, Base):
    """A reviewer's decision on one pending plan: who, when, why. Never updated."""

    __tablename__ = "value_creation_plan_decisions"
    __table_args__ = (CheckConstraint("decision IN ('approve', 'reject')", name="decision_known"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("value_creation_plans.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewer_role: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
