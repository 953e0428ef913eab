"""Which provider serves a model, and what its tokens cost.

Settings need both to refuse a model the platform cannot route or budget for, and
the LLM library needs both to route a call and reserve its worst-case cost, so they
live here, next to the settings, once. Prices are the providers' public list prices
in USD per million tokens; a deployment with negotiated prices (or a model missing
here) sets `LLM_PRICES_JSON`, whose entries replace these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_LLM_PRICES", "LLMProvider", "ModelPrice", "llm_provider_for"]

LLMProvider = Literal["openai", "anthropic"]

_OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-")
_ANTHROPIC_PREFIXES = ("claude-",)


class ModelPrice(BaseModel):
    """USD per one million tokens; JSON form `{"input": 2.5, "output": 10}`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    input_usd_per_million: float = Field(alias="input", ge=0, le=10_000)
    output_usd_per_million: float = Field(alias="output", ge=0, le=10_000)


def llm_provider_for(model: str) -> LLMProvider | None:
    """The provider whose API serves `model`, by the providers' naming; None if neither."""
    name = model.strip().lower()
    if name.startswith(_OPENAI_PREFIXES):
        return "openai"
    if name.startswith(_ANTHROPIC_PREFIXES):
        return "anthropic"
    return None


def _price(input_usd: float, output_usd: float) -> ModelPrice:
    return ModelPrice.model_validate({"input": input_usd, "output": output_usd})


DEFAULT_LLM_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-2024-08-06": _price(2.50, 10.00),
    "gpt-4o-2024-11-20": _price(2.50, 10.00),
    "gpt-4o": _price(2.50, 10.00),
    "gpt-4o-mini-2024-07-18": _price(0.15, 0.60),
    "gpt-4o-mini": _price(0.15, 0.60),
    "gpt-4.1-2025-04-14": _price(2.00, 8.00),
    "gpt-4.1": _price(2.00, 8.00),
    "gpt-4.1-mini": _price(0.40, 1.60),
    "claude-sonnet-4-20250514": _price(3.00, 15.00),
    "claude-3-7-sonnet-20250219": _price(3.00, 15.00),
    "claude-opus-4-20250514": _price(15.00, 75.00),
    "claude-3-5-haiku-20241022": _price(0.80, 4.00),
}
