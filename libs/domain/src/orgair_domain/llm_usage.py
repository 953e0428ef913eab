"""What the platform spent on LLM calls on one UTC day, by model and purpose (admins).

The call ledger (`orgair_llm`'s `llm_calls` table) summed exactly, in integer
micro-dollars; `day` defaults to today (UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from orgair_llm import usage


class UsageLineOut(BaseModel):
    model: str
    provider: str
    purpose: str = Field(description="What the calls were for: justification, ic_memo, ...")
    attempts: int = Field(description="Requests made or refused, retries and fallbacks included")
    succeeded: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class UsageTotalOut(BaseModel):
    attempts: int
    succeeded: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class UsageOut(BaseModel):
    day: date
    items: list[UsageLineOut] = Field(description="Most expensive first")
    total: UsageTotalOut


def usage_of_day(session: Session, day: date | None) -> UsageOut:
    report = usage(session, day or datetime.now(UTC).date())
    return UsageOut.model_validate(report.as_dict())
