"""What can go wrong with an LLM call, as types a caller can map to an answer.

Each error's message is safe to show and to log: it names models, providers, HTTP
statuses, amounts and settings, never a prompt, an answer, evidence or a key. The
HTTP layer maps them to problem details: `BudgetExhausted` → 503 `budget-exhausted`
with `Retry-After`; `BudgetUnavailable` and `LLMNotConfigured` → 503; `LLMUnavailable`
→ 503 (every provider failed for a transient reason); `LLMRequestRejected` and
`StructuredOutputInvalid` → 502 (the request or the answer was wrong, retrying it
as it is will not help).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "AttemptFailure",
    "BudgetExhausted",
    "BudgetUnavailable",
    "LLMError",
    "LLMNotConfigured",
    "LLMRequestRejected",
    "LLMUnavailable",
    "StructuredOutputInvalid",
]


class LLMError(Exception):
    """Base of every error of the LLM layer."""


class LLMNotConfigured(LLMError):
    """No provider key for any model of the route: nothing can be called."""

    def __init__(self, missing_settings: Sequence[str]) -> None:
        self.missing_settings = tuple(missing_settings)
        super().__init__("no LLM provider is configured: set " + " or ".join(self.missing_settings))


class BudgetExhausted(LLMError):
    """The call's worst-case cost does not fit in what is left of today's budget."""

    def __init__(
        self,
        *,
        day: date,
        budget_usd: float,
        committed_usd: float,
        needed_usd: float,
        retry_after_seconds: int,
    ) -> None:
        self.day = day
        self.budget_usd = budget_usd
        self.committed_usd = committed_usd
        self.needed_usd = needed_usd
        self.retry_after_seconds = retry_after_seconds
        left = max(0.0, budget_usd - committed_usd)
        super().__init__(
            f"the daily LLM budget of ${budget_usd:.2f} for {day.isoformat()} (UTC) has "
            f"${left:.6f} left, less than this call's worst-case cost ${needed_usd:.6f}; "
            f"it renews in {retry_after_seconds} s"
        )


class BudgetUnavailable(LLMError):
    """Redis, which holds the shared budget, cannot be reached: no call may be sent."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"the daily LLM budget cannot be checked ({reason}), so no LLM call is made"
        )


@dataclass(frozen=True)
class AttemptFailure:
    """One failed attempt: which model, what kind of failure, the HTTP status if any."""

    provider: str
    model: str
    kind: str
    status: int | None = None

    def describe(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.provider}/{self.model}: {self.kind}{status}"


class LLMRequestRejected(LLMError):
    """The provider refused the request itself (a 4xx other than 408/429): reported,
    never retried or sent to the fallback, which would refuse it the same way."""

    def __init__(self, failure: AttemptFailure) -> None:
        self.failure = failure
        super().__init__(f"the LLM provider rejected the request ({failure.describe()})")


class LLMUnavailable(LLMError):
    """Every attempt on every model failed for a transient reason."""

    def __init__(self, failures: Sequence[AttemptFailure]) -> None:
        self.failures = tuple(failures)
        attempts = "; ".join(failure.describe() for failure in self.failures)
        super().__init__(f"no LLM provider answered ({attempts})")


class StructuredOutputInvalid(LLMError):
    """The model's answer did not match the schema, also after one corrected retry."""

    def __init__(
        self, *, schema: str, model: str, error_count: int, error_types: Sequence[str] = ()
    ) -> None:
        self.schema = schema
        self.model = model
        self.error_count = error_count
        # pydantic's error types of the last answer ("missing", or a caller's own, e.g.
        # "citation_not_supplied"): what was wrong, never the values.
        self.error_types = tuple(dict.fromkeys(error_types))
        super().__init__(
            f"{model} answered twice without matching the {schema} schema "
            f"({error_count} validation error(s) in the last answer)"
        )
