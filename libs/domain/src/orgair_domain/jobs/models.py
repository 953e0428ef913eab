from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, append_only, utcnow
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
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
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
        String(32),
        default=JobKind.FUND_SCORING.value,
        server_default=JobKind.FUND_SCORING.value,
        doc="fund_scoring | justifications | ic_memo",
    )
    fund_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funds.id"), doc="funds.id (fund scoring jobs)"
    )
    profile_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parameter_profiles.id"), doc="parameter_profiles.id the job scores with"
    )
    parameters_version: Mapped[str | None] = mapped_column(String(64), doc="Profile name")
    parameters_hash: Mapped[str | None] = mapped_column(String(64), doc="Hash of the parameter set")
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id"), doc="assessments.id (justification jobs)"
    )
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id"), doc="companies.id (IC memo jobs)"
    )
    # What the job produced, when that is one thing with an id of its own (a memo).
    result_id: Mapped[uuid.UUID | None] = mapped_column(doc="Id of what the job produced (a memo)")
    state: Mapped[str] = mapped_column(
        String(16), default="queued", doc="queued | running | succeeded | failed | cancelled"
    )
    total: Mapped[int] = mapped_column(default=0, doc="Items to process (companies, dimensions)")
    scored: Mapped[int] = mapped_column(default=0, doc="Items done so far")
    failed: Mapped[int] = mapped_column(default=0, doc="Items that could not be done")
    error: Mapped[str | None] = mapped_column(Text, doc="Why the job failed")
    report_json_key: Mapped[str | None] = mapped_column(String(512), doc="S3 key, JSON report")
    report_csv_key: Mapped[str | None] = mapped_column(String(512), doc="S3 key, CSV report")
    idempotency_key: Mapped[str | None] = mapped_column(
        String(255), doc="Idempotency-Key of the POST that created it"
    )
    correlation_id: Mapped[str | None] = mapped_column(
        String(128), doc="Correlation id of the request (find its logs and trace)"
    )
    created_by: Mapped[str] = mapped_column(String(64), doc="API key id that started it")
    cancelled_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that cancelled")
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, doc="When the row last changed"
    )
    # Set once the broker accepted the first task; a retried POST (same Idempotency-Key)
    # publishes it again only while this is empty.
    enqueued_at: Mapped[datetime | None] = mapped_column(doc="When the queue took the job")
    started_at: Mapped[datetime | None] = mapped_column(doc="When a worker started it")
    chunks_enqueued_at: Mapped[datetime | None] = mapped_column(
        doc="When every chunk task was enqueued"
    )
    finished_at: Mapped[datetime | None] = mapped_column(doc="When it reached its final state")


class ScoringJobFailure(UUIDPrimaryKey, CreatedAt, Base):
    """A company the job could not score, and why. At most one per company and job."""

    __tablename__ = "scoring_job_failures"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        UniqueConstraint("job_id", "company_id"),
        {"info": append_only()},
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scoring_jobs.id"), doc="scoring_jobs.id")
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id"), doc="assessments.id it tried to score, if any"
    )
    code: Mapped[str] = mapped_column(String(32), doc="Machine-readable failure code")
    reason: Mapped[str] = mapped_column(Text, doc="Why, in words")
