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

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, append_only


class JustificationStatus(StrEnum):
    JUSTIFIED = "justified"
    NO_EVIDENCE = "no_evidence"  # nothing supports the dimension: no model was asked
    CITATION_INVALID = "citation_invalid"  # cited what it was not given, twice
    FAILED = "failed"  # `failure_code` says why (budget, providers, answer shape)


STATUSES = ", ".join(f"'{status.value}'" for status in JustificationStatus)


class Justification(UUIDPrimaryKey, CreatedAt, Base):
    """The outcome of one dimension of one justification job (written once, never changed)."""

    __tablename__ = "justifications"
    __table_args__ = (
        UniqueConstraint("job_id", "dimension"),
        CheckConstraint(f"status IN ({STATUSES})", name="status_known"),
        Index(None, "assessment_id", "dimension", "created_at"),
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        {"info": append_only()},
    )

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scoring_jobs.id"), doc="scoring_jobs.id of the justification job"
    )
    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id"), doc="assessments.id"
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    dimension: Mapped[str] = mapped_column(String(30), doc="One of the seven dimensions")
    score: Mapped[float] = mapped_column(Float, doc="The dimension score justified, 0..100")
    status: Mapped[str] = mapped_column(
        String(20), doc="justified | no_evidence | citation_invalid | failed"
    )
    failure_code: Mapped[str | None] = mapped_column(
        String(32), doc="Why it failed (budget, providers, answer shape); null otherwise"
    )
    reason: Mapped[str | None] = mapped_column(Text, doc="Readable reason for the status")
    text: Mapped[str | None] = mapped_column(Text, doc="The justification, citing [E1].. labels")
    evidence_considered: Mapped[int] = mapped_column(
        Integer, doc="Evidence items the model was given"
    )
    provider: Mapped[str | None] = mapped_column(String(16), doc="LLM provider that answered")
    model: Mapped[str | None] = mapped_column(String(100), doc="LLM model that answered")
    llm_call_id: Mapped[uuid.UUID | None] = mapped_column(
        doc="llm_calls.call_id: every attempt the call took is a ledger row"
    )
    cost_micros: Mapped[int] = mapped_column(
        BigInteger, default=0, doc="Cost of the call, millionths of a USD"
    )
    created_by: Mapped[str] = mapped_column(String(64), doc="Who asked for the job")


class JustificationCitation(UUIDPrimaryKey, CreatedAt, Base):
    """An excerpt a justification cites, as it was when cited.

    `evidence_id` is deliberately no foreign key: the evidence may be deleted, the
    justification keeps what it quoted.
    """

    __tablename__ = "justification_citations"
    __table_args__ = (
        UniqueConstraint("justification_id", "label"),
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        {"info": append_only()},
    )

    justification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("justifications.id"), doc="justifications.id"
    )
    label: Mapped[str] = mapped_column(String(8), doc="The label the text cites, E1, E2, ..")
    evidence_id: Mapped[uuid.UUID] = mapped_column(
        index=True, doc="evidence.id cited (no foreign key: the evidence may be deleted)"
    )
    chunk: Mapped[int] = mapped_column(Integer, doc="Chunk (seq) of the item the excerpt is from")
    title: Mapped[str] = mapped_column(String(255), doc="The item's title when cited")
    source: Mapped[str | None] = mapped_column(String(255), doc="The item's source when cited")
    url: Mapped[str | None] = mapped_column(String(2048), doc="The item's URL when cited")
    evidence_date: Mapped[date] = mapped_column(doc="The item's date when cited")
    excerpt: Mapped[str] = mapped_column(Text, doc="The excerpt, as it was when cited")
