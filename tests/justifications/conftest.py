"""The scoring app with LLM settings: keys and base URLs pointing at the fake providers
(nothing here calls them: these tests stop before the worker), or no keys at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_config import Settings
from orgair_scoring_api.app import create_app
from tests.conftest import signed_client
from tests.llm.conftest import ANTHROPIC_KEY, OPENAI_KEY
from tests.llm.fake_providers import FakeProvider, running_fake

ClientWith = Callable[..., TestClient]


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeProvider]:
    with running_fake("openai") as server:
        yield server


@pytest.fixture(scope="session")
def anthropic_server() -> Iterator[FakeProvider]:
    with running_fake("anthropic") as server:
        yield server


@pytest.fixture
def llm_overrides(openai_server: FakeProvider, anthropic_server: FakeProvider) -> dict[str, Any]:
    openai_server.reset()
    anthropic_server.reset()
    return {
        "OPENAI_API_KEY": OPENAI_KEY,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "OPENAI_BASE_URL": openai_server.base_url,
        "ANTHROPIC_BASE_URL": anthropic_server.base_url,
    }


@pytest.fixture
def client_with(migrated: Settings, redis_client: object) -> Iterator[ClientWith]:
    """`client_with(role, **settings)`: the scoring app with other settings."""
    opened: list[TestClient] = []

    def build(role: Role = Role.ADMIN, **overrides: Any) -> TestClient:
        settings = Settings(_env_file=None, **{**migrated.model_dump(), **overrides})
        test_client = signed_client(create_app(settings), role, raise_server_exceptions=False)
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)
