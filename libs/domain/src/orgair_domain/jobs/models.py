from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, utcnow
from orgair_domain.jobs.kinds import JobKind

KINDS = ", ".join(f"'{kind.value}'" for kind in JobKind)


class ScoringJob(UUIDPrimaryKey, CreatedAt, Base):
    """A background job: its kind, life cycle, progress counters and products.

    A fund scoring job has its fund and parameter profile and, once succeeded, its
    report objects; a justification job its assessment; a memo job its company and,
    once succeeded, the memo (`result_id`). See `orgair_domain.jobs.kinds`.

    `scored` and `failed` only grow, each in the same transaction as the rows it
    counts, so they are exact however often a task is delivered.
    """

    __tablename__ = "scoring_jobs"
    __table_args__ = (
        # The same caller retrying with the same Idempotency-Key gets the same job.
        UniqueConstraint("created_by", "idempotency_key"),
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="state_known",
        ),
        CheckConstraint("total >= 0 AND scored >= 0 AND failed >= 0", name="counts_non_negative"),
        CheckConstraint(f"kind IN ({KINDS})", name="kind_known"),
        Index(None, "fund_id", "created_at"),
        Index(None, "state"),
        Index(None, "assessment_id"),
        Index(None, "company_id"),
    )

    kind: Mapped[str] = mapped_column(
        String(32), default=JobKind.FUND_SCORING.value, server_default=JobKind.FUND_SCORING.value
    )
    fund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("funds.id"))
    profile_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parameter_profiles.id"))
    parameters_version: Mapped[str | None] = mapped_column(String(64))
    parameters_hash: Mapped[str | None] = mapped_column(String(64))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("companies.id"))
    # What the job produced, when that is one thing with an id of its own (a memo).
    result_id: Mapped[uuid.UUID | None]
    state: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    scored: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    report_json_key: Mapped[str | None] = mapped_column(String(512))
    report_csv_key: Mapped[str | None] = mapped_column(String(512))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set once the broker accepted the first task; a retried POST (same Idempotency-Key)
    # publishes it again only while this is empty.
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    chunks_enqueued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ScoringJobFailure(UUIDPrimaryKey, CreatedAt, Base):
    """A company the job could not score, and why. At most one per company and job."""

    __tablename__ = "scoring_job_failures"
    __table_args__ = (UniqueConstraint("job_id", "company_id"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scoring_jobs.id"))
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
