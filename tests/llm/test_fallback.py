"""Provider calls through the real SDKs: happy paths, retries, fallback, rejections."""

from __future__ import annotations

import pytest

from orgair_cli.devstack import free_port
from orgair_llm import (
    LLMNotConfigured,
    LLMRequestRejected,
    LLMUnavailable,
    Message,
)
from tests.llm.conftest import ANTHROPIC_KEY, OPENAI_KEY, MakeClient, MemoryLedger, Sleeps
from tests.llm.fake_providers import FakeProvider, answer, drop, fail, raw, stall

GPT = "gpt-4o-2024-08-06"
CLAUDE = "claude-sonnet-4-20250514"
PROMPT = (Message("user", "Summarise the evidence."),)


def test_openai_happy_path_sends_the_request_the_sdk_builds(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider
) -> None:
    openai_fake.script(answer("It is ready.", input_tokens=120, output_tokens=30))
    completion = make_client().complete(purpose="test", system="Be brief.", messages=PROMPT)

    assert completion.text == "It is ready."
    assert (completion.provider, completion.model, completion.fallback_used) == (
        "openai",
        GPT,
        False,
    )
    assert (completion.input_tokens, completion.output_tokens) == (120, 30)
    # gpt-4o: $2.50 / $10.00 per 1M tokens
    assert completion.cost_usd == pytest.approx(120 * 2.5e-6 + 30 * 10e-6)
    assert anthropic_fake.calls == 0
    (request,) = openai_fake.requests
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.body["model"] == GPT
    assert request.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Summarise the evidence."},
    ]
    assert request.body["max_completion_tokens"] == 500


def test_anthropic_happy_path_as_the_default_model(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider
) -> None:
    anthropic_fake.script(answer("Claude says hi.", input_tokens=50, output_tokens=10))
    client = make_client(DEFAULT_LLM_MODEL=CLAUDE, FALLBACK_LLM_MODEL=GPT)
    completion = client.complete(
        purpose="test", system="Be brief.", messages=PROMPT, max_output_tokens=64
    )

    assert completion.text == "Claude says hi."
    assert (completion.provider, completion.model, completion.fallback_used) == (
        "anthropic",
        CLAUDE,
        False,
    )
    assert completion.cost_usd == pytest.approx(50 * 3e-6 + 10 * 15e-6)
    assert openai_fake.calls == 0
    (request,) = anthropic_fake.requests
    # this SDK generation sends the key as a bearer token (older ones: x-api-key)
    sent_key = request.headers.get("x-api-key") or request.headers["authorization"]
    assert sent_key.removeprefix("Bearer ") == ANTHROPIC_KEY
    assert request.body["system"] == "Be brief."
    assert request.body["messages"] == [{"role": "user", "content": "Summarise the evidence."}]
    assert request.body["max_tokens"] == 64


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [
        (fail(500), "server_error"),
        (fail(503), "server_error"),
        (fail(429), "rate_limited"),
        (stall(3), "timeout"),
        (drop(), "connection_error"),
        (raw("<html>not json</html>"), "bad_response"),
    ],
    ids=["500", "503", "429", "timeout", "dropped", "unreadable"],
)
def test_transient_failures_are_retried_then_sent_to_the_fallback(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    ledger: MemoryLedger,
    sleeps: Sleeps,
    failure: object,
    outcome: str,
) -> None:
    openai_fake.default = failure  # type: ignore[assignment]
    anthropic_fake.script(answer("from the fallback"))
    completion = make_client(LLM_MAX_RETRIES=2).complete(purpose="test", system="", messages=PROMPT)

    assert completion.text == "from the fallback"
    assert (completion.provider, completion.model, completion.fallback_used) == (
        "anthropic",
        CLAUDE,
        True,
    )
    assert openai_fake.calls == 3  # the first attempt and two retries
    assert anthropic_fake.calls == 1
    assert ledger.outcomes() == [outcome, outcome, outcome, "ok"]
    assert [entry.attempt for entry in ledger.entries] == [1, 2, 3, 4]
    assert [entry.fallback_used for entry in ledger.entries] == [False, False, False, True]
    assert len({entry.call_id for entry in ledger.entries}) == 1
    assert completion.attempts == tuple(ledger.entries)
    assert len(sleeps.waits) == 2  # between the three attempts on the default model


def test_a_rejected_request_is_reported_and_never_sent_to_the_fallback(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    ledger: MemoryLedger,
) -> None:
    openai_fake.script(fail(400))
    with pytest.raises(LLMRequestRejected) as raised:
        make_client().complete(purpose="test", system="", messages=PROMPT)

    assert raised.value.failure.status == 400
    assert "openai/gpt-4o-2024-08-06: rejected 400" in str(raised.value)
    assert openai_fake.calls == 1
    assert anthropic_fake.calls == 0
    assert ledger.outcomes() == ["rejected"]


def test_retries_are_bounded_on_every_model(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    ledger: MemoryLedger,
    sleeps: Sleeps,
) -> None:
    openai_fake.default = fail(502)
    anthropic_fake.default = fail(529)
    with pytest.raises(LLMUnavailable) as raised:
        make_client(
            LLM_MAX_RETRIES=1, LLM_RETRY_BACKOFF_BASE_SECONDS=1, LLM_RETRY_BACKOFF_MAX_SECONDS=4
        ).complete(purpose="test", system="", messages=PROMPT)

    assert openai_fake.calls == 2
    assert anthropic_fake.calls == 2
    assert [f.describe() for f in raised.value.failures] == [
        f"openai/{GPT}: server_error 502",
        f"openai/{GPT}: server_error 502",
        f"anthropic/{CLAUDE}: server_error 529",
        f"anthropic/{CLAUDE}: server_error 529",
    ]
    # one wait per retry, with jitter between half and all of the first back-off step
    assert len(sleeps.waits) == 2
    assert all(0.5 <= wait <= 1.0 for wait in sleeps.waits)
    assert len(ledger.entries) == 4


def test_no_retries_when_max_retries_is_zero(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider, sleeps: Sleeps
) -> None:
    openai_fake.default = fail(500)
    anthropic_fake.default = fail(500)
    with pytest.raises(LLMUnavailable):
        make_client(LLM_MAX_RETRIES=0).complete(purpose="test", system="", messages=PROMPT)
    assert (openai_fake.calls, anthropic_fake.calls, sleeps.waits) == (1, 1, [])


def test_a_short_retry_after_is_waited_for_on_the_same_model(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider, sleeps: Sleeps
) -> None:
    openai_fake.script(fail(429, retry_after=3))
    completion = make_client(LLM_RETRY_BACKOFF_MAX_SECONDS=8).complete(
        purpose="test", system="", messages=PROMPT
    )
    assert completion.provider == "openai"
    assert sleeps.waits == [3.0]
    assert (openai_fake.calls, anthropic_fake.calls) == (2, 0)


def test_a_long_retry_after_goes_to_the_fallback_at_once(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider, sleeps: Sleeps
) -> None:
    openai_fake.script(fail(429, retry_after=120))
    completion = make_client(LLM_RETRY_BACKOFF_MAX_SECONDS=8).complete(
        purpose="test", system="", messages=PROMPT
    )
    assert completion.fallback_used
    assert sleeps.waits == []
    assert (openai_fake.calls, anthropic_fake.calls) == (1, 1)


def test_an_unreachable_provider_falls_back(
    make_client: MakeClient, anthropic_fake: FakeProvider, ledger: MemoryLedger
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    completion = make_client(OPENAI_BASE_URL=closed, LLM_MAX_RETRIES=0).complete(
        purpose="test", system="", messages=PROMPT
    )
    assert completion.provider == "anthropic"
    assert ledger.outcomes() == ["connection_error", "ok"]
    # the connection never opened: nothing can have been billed
    assert ledger.entries[0].cost_micros == 0


def test_only_the_provider_with_a_key_is_called(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider
) -> None:
    client = make_client(OPENAI_API_KEY=None)
    assert [route.model for route in client.routes] == [CLAUDE]
    completion = client.complete(purpose="test", system="", messages=PROMPT)
    assert (completion.provider, completion.fallback_used) == ("anthropic", True)
    assert openai_fake.calls == 0

    openai_fake.default = fail(500)
    client = make_client(ANTHROPIC_API_KEY=None, LLM_MAX_RETRIES=0)
    with pytest.raises(LLMUnavailable):
        client.complete(purpose="test", system="", messages=PROMPT)
    assert anthropic_fake.calls == 1  # only the earlier call


def test_without_any_key_nothing_is_called_and_the_settings_are_named(
    make_client: MakeClient, openai_fake: FakeProvider, anthropic_fake: FakeProvider
) -> None:
    client = make_client(OPENAI_API_KEY=None, ANTHROPIC_API_KEY=None)
    assert not client.configured
    with pytest.raises(LLMNotConfigured) as raised:
        client.complete(purpose="test", system="", messages=PROMPT)
    assert raised.value.missing_settings == (
        f"OPENAI_API_KEY (for {GPT})",
        f"ANTHROPIC_API_KEY (for {CLAUDE})",
    )
    assert "OPENAI_API_KEY" in str(raised.value)
    assert (openai_fake.calls, anthropic_fake.calls) == (0, 0)


def test_a_purpose_is_a_short_identifier(
    make_client: MakeClient, openai_fake: FakeProvider
) -> None:
    with pytest.raises(ValueError, match="purpose"):
        make_client().complete(purpose="Free text with spaces", system="", messages=PROMPT)
    assert openai_fake.calls == 0
