"""The ledger in the database: writing rows and the daily usage report.

`usage(session, day)` is what `GET /api/v2/llm/usage?day=` serves: one line per
model and purpose for a UTC day (attempts, successful calls, tokens, cost), and the
day's totals. Costs are summed as integer micro-dollars, so the report is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import structlog
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from orgair_database import Database
from orgair_llm.costs import micros_to_usd
from orgair_llm.ledger import LedgerEntry
from orgair_llm.ledger_table import LLMCall

__all__ = ["SqlLedgerSink", "UsageLine", "UsageReport", "usage"]

log = structlog.get_logger(__name__)


class SqlLedgerSink:
    """Inserts each entry into `llm_calls` in its own short transaction, so a row
    survives the caller's own transaction rolling back."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(self, entry: LedgerEntry) -> None:
        try:
            with self._database.session() as session:
                session.add(LLMCall(**entry.as_row()))
        except SQLAlchemyError as exc:
            # The budget in Redis already counts the cost; only the row is lost.
            log.error(
                "llm_ledger_write_failed",
                call_id=str(entry.call_id),
                attempt=entry.attempt,
                cost_usd=entry.cost_usd,
                error=type(exc).__name__,
            )


@dataclass(frozen=True)
class UsageLine:
    model: str
    provider: str
    purpose: str
    attempts: int
    succeeded: int
    input_tokens: int
    output_tokens: int
    cost_micros: int

    @property
    def cost_usd(self) -> float:
        return micros_to_usd(self.cost_micros)

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "provider": self.provider,
            "purpose": self.purpose,
            "attempts": self.attempts,
            "succeeded": self.succeeded,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class UsageReport:
    day: date
    lines: tuple[UsageLine, ...]

    @property
    def cost_micros(self) -> int:
        return sum(line.cost_micros for line in self.lines)

    @property
    def cost_usd(self) -> float:
        return micros_to_usd(self.cost_micros)

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "items": [line.as_dict() for line in self.lines],
            "total": {
                "attempts": sum(line.attempts for line in self.lines),
                "succeeded": sum(line.succeeded for line in self.lines),
                "input_tokens": sum(line.input_tokens for line in self.lines),
                "output_tokens": sum(line.output_tokens for line in self.lines),
                "cost_usd": self.cost_usd,
            },
        }


def usage(session: Session, day: date) -> UsageReport:
    """The ledger of one UTC day summed by model and purpose (most expensive first)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    succeeded = func.sum(case((LLMCall.outcome == "ok", 1), else_=0))
    cost = func.sum(LLMCall.cost_micros)
    statement = (
        select(
            LLMCall.model,
            LLMCall.provider,
            LLMCall.purpose,
            func.count(),
            succeeded,
            func.sum(LLMCall.input_tokens),
            func.sum(LLMCall.output_tokens),
            cost,
        )
        .where(LLMCall.created_at >= start, LLMCall.created_at < start + timedelta(days=1))
        .group_by(LLMCall.model, LLMCall.provider, LLMCall.purpose)
        .order_by(cost.desc(), LLMCall.model, LLMCall.purpose)
    )
    rows = session.execute(statement)
    lines = tuple(
        UsageLine(
            model=model,
            provider=provider,
            purpose=purpose,
            attempts=int(attempts),
            succeeded=int(ok or 0),
            input_tokens=int(tokens_in or 0),
            output_tokens=int(tokens_out or 0),
            cost_micros=int(micros or 0),
        )
        for model, provider, purpose, attempts, ok, tokens_in, tokens_out, micros in rows
    )
    return UsageReport(day, lines)
