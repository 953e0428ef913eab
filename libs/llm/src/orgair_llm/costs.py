"""What a call costs, in whole micro-dollars, before it is sent and after it answered.

Money is counted in integer micro-dollars (1 USD = 1,000,000) everywhere it is added
up (Redis, the ledger), so sums are exact and every process agrees on them; a price
in USD per million tokens is exactly micro-dollars per token. Fractions of a
micro-dollar are rounded up: the budget errs on the side of spending less.

The worst case must be an upper bound or the budget could be overshot. Both
providers' tokenizers are byte-level BPE, where every token stands for at least one
byte of UTF-8 text, so the byte length of everything sent (plus a fixed allowance
for the message framing and the tool/format wrapper the provider adds) bounds the
input tokens without shipping a tokenizer; `max_output_tokens` bounds the output.
The bound is loose (English runs about four bytes a token), which only matters at
the very end of a day's budget; the difference is released when the call settles.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

from orgair_config import ModelPrice

__all__ = [
    "MESSAGE_OVERHEAD_TOKENS",
    "REQUEST_OVERHEAD_TOKENS",
    "cost_micros",
    "input_token_bound",
    "micros_to_usd",
    "usd_to_micros",
]

MICROS_PER_USD = 1_000_000
# Role markers and separators per message, and the provider's own wrapper around a
# request (the system prompt slot; the tool-use preamble Anthropic adds, a few
# hundred tokens; OpenAI's response-format wrapper).
MESSAGE_OVERHEAD_TOKENS = 16
REQUEST_OVERHEAD_TOKENS = 1024


def input_token_bound(texts: Iterable[str], *, messages: int) -> int:
    """An upper bound on the input tokens of a request made of `texts`."""
    content_bytes = sum(len(text.encode("utf-8")) for text in texts)
    return content_bytes + messages * MESSAGE_OVERHEAD_TOKENS + REQUEST_OVERHEAD_TOKENS


def cost_micros(price: ModelPrice, *, input_tokens: int, output_tokens: int) -> int:
    """The cost of these tokens at `price`, in micro-dollars, rounded up."""
    exact = Decimal(input_tokens) * Decimal(str(price.input_usd_per_million)) + Decimal(
        output_tokens
    ) * Decimal(str(price.output_usd_per_million))
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def usd_to_micros(usd: float) -> int:
    """Dollars (a setting) as micro-dollars, rounded down: a budget is never enlarged."""
    return int(Decimal(str(usd)) * MICROS_PER_USD)


def micros_to_usd(micros: int) -> float:
    return micros / MICROS_PER_USD
