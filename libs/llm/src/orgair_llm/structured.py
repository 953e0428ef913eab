"""Answers that must match a pydantic schema: the format sent, the check, the correction.

The schema goes to the provider as its native structured-output feature (OpenAI: a
JSON-schema response format; Anthropic: one forced tool call whose input is the
answer), and the answer is validated here again whatever the provider promised.
An answer that does not validate is sent back once with the validation errors —
locations and messages only, never the offending values, which may quote evidence —
and a second miss is reported as `StructuredOutputInvalid`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orgair_llm.messages import Message, OutputFormat, ProviderReply

__all__ = ["correction_messages", "output_format_for", "parse_answer"]

T = TypeVar("T", bound=BaseModel)

MAX_REPORTED_ERRORS = 20
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def output_format_for(schema: type[BaseModel]) -> OutputFormat:
    """The schema as both providers accept it (a name of 1-64 letters, digits, _ or -)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64] or "answer"
    description = (schema.__doc__ or "").strip() or f"The answer, as a {name} object."
    return OutputFormat(
        name=name, description=description[:1024], json_schema=schema.model_json_schema()
    )


def parse_answer(
    schema: type[T], reply: ProviderReply, context: Mapping[str, Any] | None = None
) -> T:
    """The reply as `schema`; raises pydantic's `ValidationError` when it does not match.

    `context` reaches the schema's validators (`info.context`): how a caller checks an
    answer against what it supplied, e.g. that every cited id was one of the given ones.
    """
    if reply.structured is not None:
        return schema.model_validate(reply.structured, context=context)
    text = reply.text
    fenced = _FENCE.match(text)
    return schema.model_validate_json(fenced.group(1) if fenced else text, context=context)


def describe_errors(error: ValidationError) -> str:
    details = error.errors(include_input=False, include_url=False, include_context=False)
    lines = [
        f"- {'/'.join(str(part) for part in detail['loc']) or '(the whole answer)'}: "
        f"{detail['msg']}"
        for detail in details[:MAX_REPORTED_ERRORS]
    ]
    if len(details) > MAX_REPORTED_ERRORS:
        lines.append(f"- and {len(details) - MAX_REPORTED_ERRORS} more")
    return "\n".join(lines)


def correction_messages(
    conversation: Sequence[Message], answer_text: str, error: ValidationError, schema_name: str
) -> tuple[Message, ...]:
    """The conversation with the rejected answer and what was wrong with it appended."""
    return (
        *conversation,
        Message("assistant", answer_text or "(empty answer)"),
        Message(
            "user",
            f"That answer does not match the {schema_name} JSON schema:\n"
            f"{describe_errors(error)}\n"
            "Answer again with one JSON object that matches the schema exactly, and nothing "
            "else.",
        ),
    )


def schema_text(output_format: OutputFormat) -> str:
    """The schema as sent, for the input-token bound."""
    return json.dumps(output_format.json_schema, separators=(",", ":")) + output_format.description
