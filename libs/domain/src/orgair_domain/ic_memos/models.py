"""A drafted memo: where its Markdown is and what it was drafted from."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, append_only


class IcMemo(UUIDPrimaryKey, CreatedAt, Base):
    """A drafted investment-committee memo (written once, never changed)."""

    __tablename__ = "ic_memos"
    __table_args__ = (
        Index(None, "company_id", "created_at"),
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        {"info": append_only()},
    )

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scoring_jobs.id"), unique=True, doc="scoring_jobs.id of the memo job"
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    score_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_air_scores.id"),
        doc="org_air_scores.id: the current approved score the memo is about (null: none)",
    )
    object_key: Mapped[str] = mapped_column(String(512), doc="S3 key of the memo's Markdown")
    markdown_chars: Mapped[int] = mapped_column(Integer, doc="Characters of Markdown")
    sha256: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the Markdown, hex")
    provider: Mapped[str] = mapped_column(String(16), doc="LLM provider that drafted it")
    model: Mapped[str] = mapped_column(String(100), doc="LLM model that drafted it")
    llm_call_id: Mapped[uuid.UUID] = mapped_column(
        doc="llm_calls.call_id: every attempt the call took is a ledger row"
    )
    cost_micros: Mapped[int] = mapped_column(
        BigInteger, doc="Cost of the call, millionths of a USD"
    )
    created_by: Mapped[str] = mapped_column(String(64), doc="Who asked for the job")
