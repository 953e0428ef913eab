"""A dimension's justification and the excerpts it cites (copied, not referenced)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey


class JustificationStatus(StrEnum):
    JUSTIFIED = "justified"
    NO_EVIDENCE = "no_evidence"  # nothing supports the dimension: no model was asked
    CITATION_INVALID = "citation_invalid"  # cited what it was not given, twice
    FAILED = "failed"  # `failure_code` says why (budget, providers, answer shape)


STATUSES = ", ".join(f"'{status.value}'" for status in JustificationStatus)


class Justification(UUIDPrimaryKey, CreatedAt, Base):
    """The outcome of one dimension of one justification job."""

    __tablename__ = "justifications"
    __table_args__ = (
        UniqueConstraint("job_id", "dimension"),
        CheckConstraint(f"status IN ({STATUSES})", name="status_known"),
        Index(None, "assessment_id", "dimension", "created_at"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scoring_jobs.id"))
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"))
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    dimension: Mapped[str] = mapped_column(String(30))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    failure_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    evidence_considered: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str | None] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(100))
    # The LLM call (`llm_calls.call_id`): every attempt it took is a ledger row.
    llm_call_id: Mapped[uuid.UUID | None]
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(64))


class JustificationCitation(UUIDPrimaryKey, Base):
    """An excerpt a justification cites, as it was when cited.

    `evidence_id` is deliberately no foreign key: the evidence may be deleted, the
    justification keeps what it quoted.
    """

    __tablename__ = "justification_citations"
    __table_args__ = (UniqueConstraint("justification_id", "label"),)

    justification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("justifications.id"))
    label: Mapped[str] = mapped_column(String(8))
    evidence_id: Mapped[uuid.UUID] = mapped_column(index=True)
    chunk: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2048))
    evidence_date: Mapped[date]
    excerpt: Mapped[str] = mapped_column(Text)
