"""The tables of a score: the computed Org-AI-R, and the reviewer's decision on it.

The decision belongs to the score it decides (one at most per score, never updated):
every view of a score shows it, and the review workflow (`orgair_domain.reviews`)
writes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, utcnow


class OrgAirScore(UUIDPrimaryKey, CreatedAt, Base):
    """One computed Org-AI-R with everything needed to recompute it exactly:
    the inputs snapshot, the parameter profile row, and the full result.

    `job_id` is set when a fund scoring job computed it; a job scores a company at most
    once, which the unique (job_id, company_id) key enforces even when the broker
    delivers a chunk twice.
    """

    __tablename__ = "org_air_scores"
    __table_args__ = (
        Index(None, "company_id", "approved_at"),
        UniqueConstraint("job_id", "company_id"),
        CheckConstraint(
            "review_status IN ('auto_approved', 'pending_review', 'approved', 'rejected')",
            name="review_status_known",
        ),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parameter_profiles.id"))
    parameters_version: Mapped[str] = mapped_column(String(64))
    parameters_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    vr: Mapped[float] = mapped_column(Float)
    hr: Mapped[float] = mapped_column(Float)
    synergy: Mapped[float] = mapped_column(Float)
    org_air: Mapped[float] = mapped_column(Float)
    org_air_ci_lower: Mapped[float] = mapped_column(Float)
    org_air_ci_upper: Mapped[float] = mapped_column(Float)
    review_status: Mapped[str] = mapped_column(String(20), index=True)
    review_reasons: Mapped[str] = mapped_column(Text, default="[]")
    compared_with_score_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_air_scores.id")
    )
    approved_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scoring_jobs.id"))


class ReviewDecision(UUIDPrimaryKey, Base):
    """A reviewer's decision on one pending score: who, when, why. Never updated."""

    __tablename__ = "review_decisions"
    __table_args__ = (CheckConstraint("decision IN ('approve', 'reject')", name="decision_known"),)

    score_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_air_scores.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewer_role: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
