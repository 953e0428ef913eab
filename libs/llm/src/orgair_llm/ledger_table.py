"""The `llm_calls` table: one row per LLM attempt (see `orgair_llm.ledger`).

Cost is stored as integer micro-dollars so that the usage report sums exactly on
every backend; the portable column types are the ones every other table uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, UUIDPrimaryKey, append_only, utcnow
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
        # Rows are written once (one per attempt) and never updated.
        {"info": append_only()},
    )

    call_id: Mapped[uuid.UUID] = mapped_column(doc="The call this attempt belongs to")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, doc="When it was attempted")
    purpose: Mapped[str] = mapped_column(String(64), doc="What the call was for")
    provider: Mapped[str] = mapped_column(String(16), doc="openai | anthropic")
    model: Mapped[str] = mapped_column(String(100), doc="Model asked")
    attempt: Mapped[int] = mapped_column(doc="1 for the first attempt of the call, then 2, …")
    outcome: Mapped[str] = mapped_column(String(24), doc="ok, rate_limited, timeout, …")
    fallback_used: Mapped[bool] = mapped_column(doc="Sent to the fallback model")
    input_tokens: Mapped[int] = mapped_column(doc="Tokens sent")
    output_tokens: Mapped[int] = mapped_column(doc="Tokens received")
    cost_micros: Mapped[int] = mapped_column(BigInteger, doc="Cost in micro-dollars (USD 1e-6)")
    reserved_micros: Mapped[int] = mapped_column(
        BigInteger, doc="Budget reserved for it before the call, micro-dollars"
    )
    latency_ms: Mapped[int] = mapped_column(doc="Time to the provider's answer")
    correlation_id: Mapped[str | None] = mapped_column(
        String(128), doc="Correlation id of the request behind it"
    )
    error: Mapped[str | None] = mapped_column(String(200), doc="Why it failed, in short")
    provider_request_id: Mapped[str | None] = mapped_column(
        String(128), doc="The provider's request id (for their support)"
    )
