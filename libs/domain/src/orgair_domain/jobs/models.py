from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, utcnow


class ScoringJob(UUIDPrimaryKey, CreatedAt, Base):
    """A fund scoring job: its life cycle, progress counters and report objects.

    `scored` and `failed` only grow, each in the same transaction as the score rows
    or failure rows it counts, so they are exact however often a chunk is delivered.
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
        Index(None, "fund_id", "created_at"),
        Index(None, "state"),
    )

    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parameter_profiles.id"))
    parameters_version: Mapped[str] = mapped_column(String(64))
    parameters_hash: Mapped[str] = mapped_column(String(64))
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
