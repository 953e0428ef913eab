from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey


class DimensionScore(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "dimension_scores"
    __table_args__ = (
        UniqueConstraint("assessment_id", "dimension"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_range"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("evidence_count >= 0", name="evidence_count_non_negative"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(30))
    score: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float, default=0.8)
    evidence_count: Mapped[int] = mapped_column(default=0)
