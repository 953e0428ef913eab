from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UpdatedAt, UUIDPrimaryKey


class DimensionScore(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """One of the seven dimension scores of an assessment (at most one per dimension)."""

    __tablename__ = "dimension_scores"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        UniqueConstraint("assessment_id", "dimension"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_range"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("evidence_count >= 0", name="evidence_count_non_negative"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id"), index=True, doc="assessments.id"
    )
    dimension: Mapped[str] = mapped_column(
        String(30), doc="Dimension key: data_infrastructure, ai_governance, … (7 keys)"
    )
    score: Mapped[float] = mapped_column(Float, doc="Dimension score D_i, 0..100")
    weight: Mapped[float] = mapped_column(Float, doc="Weight w_i, 0..1")
    confidence: Mapped[float] = mapped_column(
        Float, default=0.8, doc="Assessor's confidence in the score, 0..1"
    )
    evidence_count: Mapped[int] = mapped_column(
        default=0, doc="Pieces of evidence behind the score (n of the reliability formula)"
    )
