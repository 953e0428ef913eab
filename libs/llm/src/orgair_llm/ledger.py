"""Every attempt at an LLM call, recorded through one small protocol.

The budget in Redis says how much was spent today; the ledger says on what: one row
per attempt sent to (or refused before) a provider, with its purpose, model,
provider, tokens, cost, outcome, whether it was the fallback, its latency and the
correlation id of the request behind it. Where the rows go is the caller's choice
(`LedgerSink`); `orgair_llm.sql_ledger` writes them to the `llm_calls` table. No prompt,
answer or evidence text is part of an entry.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, Protocol

from orgair_llm.costs import micros_to_usd

__all__ = ["OUTCOMES", "LedgerEntry", "LedgerSink", "Outcome"]

Outcome = Literal[
    "ok",
    "invalid_output",
    "rate_limited",
    "server_error",
    "timeout",
    "connection_error",
    "bad_response",
    "rejected",
    "budget_exhausted",
    "budget_unavailable",
]
OUTCOMES: tuple[Outcome, ...] = (
    "ok",
    "invalid_output",
    "rate_limited",
    "server_error",
    "timeout",
    "connection_error",
    "bad_response",
    "rejected",
    "budget_exhausted",
    "budget_unavailable",
)


@dataclass(frozen=True)
class LedgerEntry:
    """One attempt. `attempt` counts from 1 across the whole call (fallback included);
    every attempt of one call shares `call_id`."""

    id: uuid.UUID
    call_id: uuid.UUID
    created_at: datetime
    purpose: str
    provider: str
    model: str
    attempt: int
    outcome: Outcome
    fallback_used: bool
    input_tokens: int
    output_tokens: int
    cost_micros: int
    reserved_micros: int
    latency_ms: int
    correlation_id: str | None
    error: str | None = None
    provider_request_id: str | None = None

    @property
    def cost_usd(self) -> float:
        return micros_to_usd(self.cost_micros)

    def as_row(self) -> dict[str, object]:
        return asdict(self)


class LedgerSink(Protocol):
    """Where ledger entries go. `record` must not raise for a storage failure it can
    report itself: the call it describes has already been paid for."""

    def record(self, entry: LedgerEntry) -> None: ...
