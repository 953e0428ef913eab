"""What a caller sends to a model and what it gets back, independent of the provider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from orgair_llm.ledger import LedgerEntry

__all__ = [
    "Completion",
    "Message",
    "OutputFormat",
    "ProviderReply",
    "ProviderRequest",
    "Structured",
]

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Message:
    """One turn of the conversation. System instructions go in `system`, not here."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class OutputFormat:
    """A JSON schema the answer must follow (a tool's input or a JSON response format)."""

    name: str
    description: str
    json_schema: dict[str, Any]


@dataclass(frozen=True)
class ProviderRequest:
    """One request to one model, as every provider adapter takes it."""

    model: str
    system: str
    messages: tuple[Message, ...]
    max_output_tokens: int
    output_format: OutputFormat | None = None


@dataclass(frozen=True)
class ProviderReply:
    """A provider's answer: the text (or the structured answer as JSON) and its usage
    (None where the provider reported none)."""

    text: str
    input_tokens: int | None
    output_tokens: int | None
    structured: Any = None
    request_id: str | None = None


@dataclass(frozen=True)
class Completion:
    """A model's answer with what it cost and every attempt made to get it."""

    text: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    fallback_used: bool
    call_id: uuid.UUID
    attempts: tuple[LedgerEntry, ...] = field(default=())


@dataclass(frozen=True)
class Structured(Generic[T]):
    """An answer validated against a pydantic schema, and the completion it came from.

    `attempts` covers the whole exchange (a corrected retry included); `cost_usd` is
    what all of them cost together.
    """

    value: T
    completion: Completion
    attempts: tuple[LedgerEntry, ...]

    @property
    def cost_usd(self) -> float:
        return sum(entry.cost_usd for entry in self.attempts)
