from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, UUIDPrimaryKey, utcnow


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
