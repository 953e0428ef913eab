"""The LLM layer's errors as the domain's refusals and as failure codes.

A request that needs a model is refused before any work is queued when no provider
is configured or today's budget is spent or cannot be checked (503, naming the
missing setting or when the budget renews). Inside a job, the same errors fail one
item of work, recorded with a stable code (`failure_code`).
"""

from __future__ import annotations

from orgair_domain.errors import Unavailable
from orgair_llm import (
    BudgetExhausted,
    BudgetUnavailable,
    LLMClient,
    LLMError,
    LLMNotConfigured,
    LLMRequestRejected,
    LLMUnavailable,
    StructuredOutputInvalid,
)
from orgair_llm.budget import seconds_until_next_day, utc_now

# The pydantic error type of a citation of something that was not supplied.
CITATION_NOT_SUPPLIED = "citation_not_supplied"


def refusal(exc: LLMError) -> Unavailable:
    """The 503 a request gets for an LLM error (each says what to do about it)."""
    if isinstance(exc, LLMNotConfigured):
        return Unavailable(
            "LLM not configured",
            f"{exc}; the rest of the platform works without one",
            code="llm-not-configured",
            missing_settings=[name.split(" ", 1)[0] for name in exc.missing_settings],
        )
    if isinstance(exc, BudgetExhausted):
        return Unavailable(
            "Daily LLM budget exhausted",
            str(exc),
            retry_after_seconds=exc.retry_after_seconds,
            code="budget-exhausted",
            day=exc.day.isoformat(),
            budget_usd=exc.budget_usd,
        )
    if isinstance(exc, BudgetUnavailable):
        return Unavailable(
            "LLM budget unavailable", str(exc), retry_after_seconds=5, code="budget-unavailable"
        )
    return Unavailable("LLM unavailable", str(exc), retry_after_seconds=30, code="llm-unavailable")


def ensure_llm_available(llm: LLMClient) -> None:
    """Refuse now (503) what could only fail later: no provider key, or no budget left
    today (or no way to tell: Redis down)."""
    if not llm.configured:
        raise refusal(LLMNotConfigured(llm.missing_settings))
    try:
        status = llm.budget_status()
    except BudgetUnavailable as exc:
        raise refusal(exc) from None
    if status.remaining_usd <= 0:
        renews = seconds_until_next_day(utc_now())
        raise Unavailable(
            "Daily LLM budget exhausted",
            f"the daily LLM budget of ${status.budget_usd:.2f} for {status.day.isoformat()} "
            f"(UTC) is spent; it renews in {renews} s",
            retry_after_seconds=renews,
            code="budget-exhausted",
            day=status.day.isoformat(),
            budget_usd=status.budget_usd,
        )


def failure_code(exc: LLMError) -> str:
    """A stable name for why one item of a job got no answer."""
    if isinstance(exc, StructuredOutputInvalid):
        return "citation_invalid" if CITATION_NOT_SUPPLIED in exc.error_types else "invalid_output"
    if isinstance(exc, BudgetExhausted):
        return "budget_exhausted"
    if isinstance(exc, BudgetUnavailable):
        return "budget_unavailable"
    if isinstance(exc, LLMNotConfigured):
        return "llm_not_configured"
    if isinstance(exc, LLMRequestRejected):
        return "llm_rejected"
    if isinstance(exc, LLMUnavailable):
        return "llm_unavailable"
    return "llm_error"
