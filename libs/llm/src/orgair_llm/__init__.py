"""LLM calls for every service: providers with fallback, the shared daily budget, the ledger.

Build one `LLMClient.from_settings(settings, ledger=SqlLedgerSink(database))` per
process and call `complete` (text) or `structured` (an answer validated against a
pydantic model). Importing this package does not import the provider SDKs; building
a client does.
"""

from orgair_llm.budget import BudgetStatus, DailyBudget, Reservation, budget_readiness
from orgair_llm.client import LLMClient, RetryPolicy, Route
from orgair_llm.errors import (
    AttemptFailure,
    BudgetExhausted,
    BudgetUnavailable,
    LLMError,
    LLMNotConfigured,
    LLMRequestRejected,
    LLMUnavailable,
    StructuredOutputInvalid,
)
from orgair_llm.ledger import OUTCOMES, LedgerEntry, LedgerSink, Outcome
from orgair_llm.messages import Completion, Message, Structured
from orgair_llm.sql_ledger import SqlLedgerSink, UsageLine, UsageReport, usage

__all__ = [
    "OUTCOMES",
    "AttemptFailure",
    "BudgetExhausted",
    "BudgetStatus",
    "BudgetUnavailable",
    "Completion",
    "DailyBudget",
    "LLMClient",
    "LLMError",
    "LLMNotConfigured",
    "LLMRequestRejected",
    "LLMUnavailable",
    "LedgerEntry",
    "LedgerSink",
    "Message",
    "Outcome",
    "Reservation",
    "RetryPolicy",
    "Route",
    "SqlLedgerSink",
    "Structured",
    "StructuredOutputInvalid",
    "UsageLine",
    "UsageReport",
    "budget_readiness",
    "usage",
]
