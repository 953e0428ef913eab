"""The `llm_calls` table: one row per LLM attempt (see `orgair_llm.ledger`).

Cost is stored as integer micro-dollars so that the usage report sums exactly on
every backend; the portable column types are the ones every other table uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, UUIDPrimaryKey, utcnow
from orgair_llm.ledger import OUTCOMES

__all__ = ["LLMCall"]

OUTCOME_VALUES = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)


class LLMCall(UUIDPrimaryKey, Base):
    """One attempt at an LLM call: what for, which model, what it cost, how it ended."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({OUTCOME_VALUES})", name="outcome_known"),
        CheckConstraint(
            "input_tokens >= 0 AND output_tokens >= 0 AND cost_micros >= 0 "
            "AND reserved_micros >= 0 AND latency_ms >= 0 AND attempt >= 1",
            name="amounts_non_negative",
        ),
        Index(None, "created_at"),
        Index(None, "call_id"),
    )

    call_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purpose: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(24))
    fallback_used: Mapped[bool]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    reserved_micros: Mapped[int] = mapped_column(BigInteger)
    latency_ms: Mapped[int]
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(200))
    provider_request_id: Mapped[str | None] = mapped_column(String(128))
