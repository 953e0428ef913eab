"""A drafted memo: where its Markdown is and what it was drafted from."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey


class IcMemo(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "ic_memos"
    __table_args__ = (Index(None, "company_id", "created_at"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scoring_jobs.id"), unique=True)
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    # The current approved score the memo is about (none when the company has none).
    score_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_air_scores.id"))
    object_key: Mapped[str] = mapped_column(String(512))
    markdown_chars: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(100))
    llm_call_id: Mapped[uuid.UUID]
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(64))
