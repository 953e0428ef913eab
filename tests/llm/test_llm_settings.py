"""The LLM settings: routable, priced models on two providers; prices overridable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orgair_config import DEFAULT_LLM_PRICES, Settings, describe_validation_error, llm_provider_for


def build(**values: Any) -> Settings:
    values.setdefault("SECRET_KEY", "dev-secret")
    return Settings(_env_file=None, **values)


def problems(**values: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        build(**values)
    return describe_validation_error(caught.value)


def test_defaults() -> None:
    settings = build()
    assert settings.OPENAI_BASE_URL is None and settings.ANTHROPIC_BASE_URL is None
    assert (settings.LLM_MAX_RETRIES, settings.LLM_MAX_OUTPUT_TOKENS) == (2, 2048)
    assert settings.llm_prices["gpt-4o-2024-08-06"].input_usd_per_million == 2.5
    assert settings.llm_prices["claude-sonnet-4-20250514"].output_usd_per_million == 15.0


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o", "openai"),
        ("o3-mini", "openai"),
        ("claude-3-5-haiku-20241022", "anthropic"),
        ("llama-3", None),
    ],
)
def test_provider_by_model_name(model: str, provider: str | None) -> None:
    assert llm_provider_for(model) == provider


def test_prices_from_json_replace_the_built_in_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LLM_PRICES_JSON",
        '{"gpt-4o-2024-08-06": {"input": 1.25, "output": 5}, "gpt-5-custom": {"input": 1, "output": 2}}',
    )
    settings = build()
    assert settings.llm_prices["gpt-4o-2024-08-06"].output_usd_per_million == 5.0
    assert settings.llm_prices["gpt-5-custom"].input_usd_per_million == 1.0
    assert (
        settings.llm_prices["claude-sonnet-4-20250514"]
        == DEFAULT_LLM_PRICES["claude-sonnet-4-20250514"]
    )
    assert build(DEFAULT_LLM_MODEL="gpt-5-custom").DEFAULT_LLM_MODEL == "gpt-5-custom"


def test_each_rule_is_one_named_line() -> None:
    assert any(
        "DEFAULT_LLM_MODEL: no price for 'gpt-9'" in line
        for line in problems(DEFAULT_LLM_MODEL="gpt-9")
    )
    assert any("neither an OpenAI model" in line for line in problems(FALLBACK_LLM_MODEL="llama-3"))
    assert any(
        "FALLBACK_LLM_MODEL must be a model of the other provider" in line
        for line in problems(FALLBACK_LLM_MODEL="gpt-4o")
    )
    assert any("OPENAI_BASE_URL" in line for line in problems(OPENAI_BASE_URL="ftp://proxy"))
    assert any(
        "LLM_PRICES_JSON" in line
        for line in problems(LLM_PRICES_JSON={"gpt-4o": {"input": -1, "output": 1}})
    )
    assert any(
        "LLM_RETRY_BACKOFF_BASE_SECONDS" in line
        for line in problems(LLM_RETRY_BACKOFF_BASE_SECONDS=10, LLM_RETRY_BACKOFF_MAX_SECONDS=5)
    )


def test_an_empty_base_url_means_the_providers_own() -> None:
    settings = build(OPENAI_BASE_URL="", ANTHROPIC_BASE_URL=" ")
    assert settings.OPENAI_BASE_URL is None and settings.ANTHROPIC_BASE_URL is None
