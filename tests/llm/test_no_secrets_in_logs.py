"""No key, prompt, evidence or answer text in any log line, at DEBUG, on every path."""

from __future__ import annotations

import logging

import pytest
import structlog
from pydantic import BaseModel

from orgair_llm import LLMRequestRejected, Message, StructuredOutputInvalid
from tests.llm.conftest import ANTHROPIC_KEY, OPENAI_KEY, CapturedLogs, MakeClient
from tests.llm.fake_providers import FakeProvider, answer, fail

SYSTEM_SECRET = "SYSTEM-PROMPT-do-not-log-41c7"
EVIDENCE_SECRET = "EVIDENCE-confidential-revenue-9e2b"
ANSWER_SECRET = "ANSWER-text-of-the-model-77d0"


class Verdict(BaseModel):
    verdict: str
    score: int


def test_nothing_secret_reaches_the_logs(
    captured_logs: CapturedLogs,
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
) -> None:
    client = make_client(LLM_MAX_RETRIES=0)
    messages = (Message("user", f"Evidence follows: <<<{EVIDENCE_SECRET}>>>"),)

    # a fallback (429, then an answer), a structured answer that never validates,
    # and a rejected request: every branch that logs
    openai_fake.script(fail(429))
    anthropic_fake.script(answer(ANSWER_SECRET))
    client.complete(purpose="test", system=SYSTEM_SECRET, messages=messages)
    openai_fake.script(
        answer(payload={"verdict": ANSWER_SECRET, "score": EVIDENCE_SECRET}),
        answer(f"not json {ANSWER_SECRET}"),
    )
    with pytest.raises(StructuredOutputInvalid):
        client.structured(Verdict, purpose="test", system=SYSTEM_SECRET, messages=messages)
    openai_fake.script(fail(400))
    with pytest.raises(LLMRequestRejected):
        client.complete(purpose="test", system=SYSTEM_SECRET, messages=messages)
    # a key under an innocent name, as a library or a mistake might log it
    structlog.get_logger("test").info("diagnostic", note=f"configured {OPENAI_KEY}")

    text = captured_logs.text
    attempts = captured_logs.events("llm_attempt")
    assert len(attempts) == 5  # the log does describe every attempt…
    assert attempts[0]["prompt_chars"] == len(SYSTEM_SECRET) + len(messages[0].content)
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, SYSTEM_SECRET, EVIDENCE_SECRET, ANSWER_SECRET):
        assert secret not in text  # …and never what was said
    assert "configured ***" in text


def test_the_sdks_request_logs_are_held_at_warning(
    make_client: MakeClient, captured_logs: CapturedLogs, openai_fake: FakeProvider
) -> None:
    """At DEBUG the SDKs log each request's options, prompts included."""
    logging.getLogger("openai").setLevel(logging.NOTSET)
    client = make_client()
    for name in ("openai", "anthropic", "httpx2", "httpcore2"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    client.complete(purpose="test", system="", messages=(Message("user", EVIDENCE_SECRET),))
    assert EVIDENCE_SECRET not in captured_logs.text
