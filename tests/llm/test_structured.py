"""Structured answers: the schema sent natively to each provider, validated, corrected once."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from orgair_llm import Message, StructuredOutputInvalid
from tests.llm.conftest import MakeClient, MemoryLedger
from tests.llm.fake_providers import FakeProvider, answer

CLAUDE = "claude-sonnet-4-20250514"
GPT = "gpt-4o-2024-08-06"
PROMPT = (Message("user", "Justify the score."),)


class Justification(BaseModel):
    """A dimension score's justification, citing evidence ids."""

    dimension: str
    summary: str = Field(min_length=1)
    cited_evidence_ids: list[str]
    confidence: float = Field(ge=0, le=1)


GOOD = {
    "dimension": "ai_governance",
    "summary": "A board-level AI policy exists.",
    "cited_evidence_ids": ["ev-1"],
    "confidence": 0.7,
}
BAD = {"dimension": "ai_governance", "summary": "", "confidence": 3}


def test_openai_gets_a_json_schema_response_format(
    make_client: MakeClient, openai_fake: FakeProvider
) -> None:
    openai_fake.script(answer(payload=GOOD))
    result = make_client().structured(
        Justification, purpose="justification", system="", messages=PROMPT
    )

    assert result.value == Justification.model_validate(GOOD)
    assert result.completion.model == GPT
    response_format = openai_fake.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Justification"
    assert response_format["json_schema"]["schema"] == Justification.model_json_schema()


def test_anthropic_gets_one_forced_tool_call(
    make_client: MakeClient, anthropic_fake: FakeProvider
) -> None:
    anthropic_fake.script(answer(payload=GOOD))
    result = make_client(DEFAULT_LLM_MODEL=CLAUDE, FALLBACK_LLM_MODEL=GPT).structured(
        Justification, purpose="justification", system="", messages=PROMPT
    )

    assert result.value.cited_evidence_ids == ["ev-1"]
    body = anthropic_fake.requests[0].body
    assert body["tools"][0]["name"] == "Justification"
    assert body["tools"][0]["input_schema"] == Justification.model_json_schema()
    assert body["tool_choice"] == {"type": "tool", "name": "Justification"}


@pytest.mark.parametrize("default_model", [GPT, CLAUDE])
def test_an_invalid_answer_is_corrected_once_with_the_validation_errors(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    ledger: MemoryLedger,
    default_model: str,
) -> None:
    fake = openai_fake if default_model == GPT else anthropic_fake
    other = anthropic_fake if default_model == GPT else openai_fake
    fallback = CLAUDE if default_model == GPT else GPT
    fake.script(answer(payload=BAD), answer(payload=GOOD))
    result = make_client(DEFAULT_LLM_MODEL=default_model, FALLBACK_LLM_MODEL=fallback).structured(
        Justification, purpose="justification", system="", messages=PROMPT
    )

    assert result.value == Justification.model_validate(GOOD)
    assert fake.calls == 2
    assert other.calls == 0  # the correction goes to the model that answered
    assert ledger.outcomes() == ["invalid_output", "ok"]
    assert result.attempts == tuple(ledger.entries)
    assert result.cost_usd == pytest.approx(sum(entry.cost_usd for entry in ledger.entries))
    correction = fake.requests[1].body["messages"]
    assert correction[-2] == {"role": "assistant", "content": json.dumps(BAD)}
    feedback = correction[-1]["content"]
    assert correction[-1]["role"] == "user"
    for location in ("summary", "cited_evidence_ids", "confidence"):
        assert location in feedback


def test_text_that_is_not_json_is_corrected_too(
    make_client: MakeClient, openai_fake: FakeProvider
) -> None:
    openai_fake.script(answer("Sure! Here is the justification: ..."), answer(payload=GOOD))
    result = make_client().structured(
        Justification, purpose="justification", system="", messages=PROMPT
    )
    assert result.value.dimension == "ai_governance"
    assert "(the whole answer)" in openai_fake.requests[1].body["messages"][-1]["content"]


def test_a_second_invalid_answer_is_a_clear_error(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    ledger: MemoryLedger,
) -> None:
    openai_fake.script(answer(payload=BAD), answer("{not json"))
    with pytest.raises(StructuredOutputInvalid) as raised:
        make_client().structured(Justification, purpose="justification", system="", messages=PROMPT)

    assert raised.value.schema == "Justification"
    assert raised.value.model == GPT
    assert "answered twice without matching the Justification schema" in str(raised.value)
    assert openai_fake.calls == 2
    assert anthropic_fake.calls == 0
    assert ledger.outcomes() == ["invalid_output", "invalid_output"]


def test_a_fenced_json_answer_is_accepted(
    make_client: MakeClient, openai_fake: FakeProvider
) -> None:
    openai_fake.script(answer("```json\n" + json.dumps(GOOD) + "\n```"))
    result = make_client().structured(
        Justification, purpose="justification", system="", messages=PROMPT
    )
    assert result.value.confidence == 0.7
    assert openai_fake.calls == 1


class CitedJustification(Justification):
    @field_validator("cited_evidence_ids")
    @classmethod
    def _cites_only_what_was_supplied(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        supplied = set((info.context or {}).get("evidence_ids", ()))
        unknown = [evidence_id for evidence_id in ids if evidence_id not in supplied]
        if unknown:
            raise ValueError(f"cites evidence that was not supplied: {', '.join(unknown)}")
        return ids


def test_validators_see_the_callers_context_and_a_bad_citation_is_corrected(
    make_client: MakeClient, openai_fake: FakeProvider, ledger: MemoryLedger
) -> None:
    openai_fake.script(
        answer(payload=GOOD | {"cited_evidence_ids": ["ev-9"]}), answer(payload=GOOD)
    )
    result = make_client().structured(
        CitedJustification,
        purpose="justification",
        system="",
        messages=PROMPT,
        validation_context={"evidence_ids": ["ev-1", "ev-2"]},
    )
    assert result.value.cited_evidence_ids == ["ev-1"]
    assert ledger.outcomes() == ["invalid_output", "ok"]
    feedback = openai_fake.requests[1].body["messages"][-1]["content"]
    assert "cited_evidence_ids: Value error, cites evidence that was not supplied: ev-9" in feedback


def test_the_error_says_what_kind_of_mistake_the_last_answer_made(
    make_client: MakeClient, openai_fake: FakeProvider
) -> None:
    bad_citation = answer(payload=GOOD | {"cited_evidence_ids": ["ev-9"]})
    openai_fake.script(bad_citation, bad_citation)
    with pytest.raises(StructuredOutputInvalid) as raised:
        make_client().structured(
            CitedJustification,
            purpose="justification",
            system="",
            messages=PROMPT,
            validation_context={"evidence_ids": ["ev-1"]},
        )
    assert raised.value.error_types == ("value_error",)
    assert "ev-9" not in str(raised.value)  # types and counts, never the values
    openai_fake.script(answer(payload=BAD), answer(payload=BAD))
    with pytest.raises(StructuredOutputInvalid) as missing:
        make_client().structured(Justification, purpose="justification", system="", messages=PROMPT)
    assert set(missing.value.error_types) == {"string_too_short", "missing", "less_than_equal"}
