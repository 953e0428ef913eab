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

from orgair_database import (
    Base,
    CreatedAt,
    JSONText,
    UpdatedAt,
    UUIDPrimaryKey,
    append_only,
    utcnow,
)


class OrgAirScore(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """One computed Org-AI-R with everything needed to recompute it exactly:
    the inputs snapshot, the parameter profile row, and the full result.

    `job_id` is set when a fund scoring job computed it; a job scores a company at most
    once, which the unique (job_id, company_id) key enforces even when the broker
    delivers a chunk twice.
    """

    __tablename__ = "org_air_scores"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        Index(None, "company_id", "approved_at"),
        UniqueConstraint("job_id", "company_id"),
        CheckConstraint(
            "review_status IN ('auto_approved', 'pending_review', 'approved', 'rejected')",
            name="review_status_known",
        ),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id"), index=True, doc="assessments.id scored"
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parameter_profiles.id"), doc="parameter_profiles.id used"
    )
    parameters_version: Mapped[str] = mapped_column(String(64), doc="Profile name used")
    parameters_hash: Mapped[str] = mapped_column(String(64), doc="Hash of the parameters used")
    inputs: Mapped[str] = mapped_column(
        JSONText, doc="Snapshot of every scoring input (dimension scores, TC, sector, …)"
    )
    result: Mapped[str] = mapped_column(
        JSONText, doc="The full breakdown: V^R, H^R, synergy, Org-AI-R, CIs, intermediate terms"
    )
    vr: Mapped[float] = mapped_column(Float, doc="V^R (idiosyncratic readiness), 0..100")
    hr: Mapped[float] = mapped_column(Float, doc="H^R (systematic readiness), 0..100")
    synergy: Mapped[float] = mapped_column(Float, doc="Synergy term, 0..100")
    org_air: Mapped[float] = mapped_column(Float, doc="Org-AI-R, 0..100")
    org_air_ci_lower: Mapped[float] = mapped_column(Float, doc="Org-AI-R 95% CI, lower bound")
    org_air_ci_upper: Mapped[float] = mapped_column(Float, doc="Org-AI-R 95% CI, upper bound")
    review_status: Mapped[str] = mapped_column(
        String(20),
        index=True,
        doc="auto_approved | pending_review | approved | rejected",
    )
    review_reasons: Mapped[str] = mapped_column(
        JSONText, default="[]", doc="Why it went to review (JSON list; empty = auto-approved)"
    )
    compared_with_score_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_air_scores.id"), doc="The approved score it was compared with"
    )
    approved_at: Mapped[datetime | None] = mapped_column(
        doc="When it became the company's current score (auto or by a reviewer)"
    )
    created_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that scored it")
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scoring_jobs.id"), doc="scoring_jobs.id when a fund job computed it"
    )


class ReviewDecision(UUIDPrimaryKey, Base):
    """A reviewer's decision on one pending score: who, when, why. Never updated."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "decided_at", "id"),
        CheckConstraint("decision IN ('approve', 'reject')", name="decision_known"),
        {"info": append_only("decided_at")},
    )

    score_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("org_air_scores.id"), unique=True, doc="org_air_scores.id decided on"
    )
    decision: Mapped[str] = mapped_column(String(10), doc="approve | reject")
    comment: Mapped[str | None] = mapped_column(Text, doc="The reviewer's reason")
    reviewer: Mapped[str] = mapped_column(String(64), doc="API key id of the reviewer")
    reviewer_role: Mapped[str] = mapped_column(String(16), doc="Role of that key")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, doc="When it was decided")
