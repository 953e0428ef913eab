"""Fixtures for the LLM layer: fake provider servers, a real Redis, settings that point
the real SDKs at the fakes, a clock the test moves, and a ledger kept in memory."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from orgair_config import Settings
from orgair_llm import DailyBudget, LedgerEntry, LLMClient
from orgair_observability import configure_logging
from tests.conftest import TEST_SECRET_KEY
from tests.llm.fake_providers import FakeProvider, running_fake
from tests.support.servers import RedisServer

OPENAI_KEY = "sk-test-openai-key-5f0c1d2e3a4b"
ANTHROPIC_KEY = "sk-ant-test-anthropic-key-9a8b7c6d"
REDIS_DB = 7


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeProvider]:
    with running_fake("openai") as server:
        yield server


@pytest.fixture(scope="session")
def anthropic_server() -> Iterator[FakeProvider]:
    with running_fake("anthropic") as server:
        yield server


@pytest.fixture
def openai_fake(openai_server: FakeProvider) -> Iterator[FakeProvider]:
    openai_server.reset()
    yield openai_server
    openai_server.reset()


@pytest.fixture
def anthropic_fake(anthropic_server: FakeProvider) -> Iterator[FakeProvider]:
    anthropic_server.reset()
    yield anthropic_server
    anthropic_server.reset()


@pytest.fixture
def budget_redis(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url_for(REDIS_DB))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@dataclass
class Clock:
    """A UTC clock the test sets and moves; it starts at noon today (real today: the
    budget's Redis keys expire at real times derived from it)."""

    now: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
    )

    def set_time(self, hour: int, minute: int = 0, second: int = 0, microsecond: int = 0) -> None:
        self.now = self.now.replace(
            hour=hour, minute=minute, second=second, microsecond=microsecond
        )

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class MemoryLedger:
    entries: list[LedgerEntry] = field(default_factory=list)

    def record(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)

    def outcomes(self) -> list[str]:
        return [entry.outcome for entry in self.entries]


@dataclass
class Sleeps:
    """Stands in for time.sleep between retries: records the waits, returns at once."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def llm_settings(
    redis_server: RedisServer, openai_server: FakeProvider, anthropic_server: FakeProvider
) -> Callable[..., Settings]:
    """Settings with both keys, the SDKs pointed at the fakes, short time-outs."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "SECRET_KEY": TEST_SECRET_KEY,
            "REDIS_URL": redis_server.url_for(REDIS_DB),
            "OPENAI_API_KEY": OPENAI_KEY,
            "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
            "OPENAI_BASE_URL": openai_server.base_url,
            "ANTHROPIC_BASE_URL": anthropic_server.base_url,
            "LLM_REQUEST_TIMEOUT_SECONDS": 1.0,
            "LLM_CONNECT_TIMEOUT_SECONDS": 1.0,
            "LLM_MAX_RETRIES": 2,
            "LLM_MAX_OUTPUT_TOKENS": 500,
            "DAILY_COST_BUDGET_USD": 10.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


MakeClient = Callable[..., LLMClient]


@pytest.fixture
def make_client(
    llm_settings: Callable[..., Settings],
    budget_redis: redis.Redis,
    clock: Clock,
    ledger: MemoryLedger,
    sleeps: Sleeps,
) -> Iterator[MakeClient]:
    """An LLMClient from settings (overrides as keyword arguments), closed afterwards."""
    clients: list[LLMClient] = []

    def build(**overrides: Any) -> LLMClient:
        client = LLMClient.from_settings(
            llm_settings(**overrides), ledger=ledger, clock=clock, sleep=sleeps
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def spent_micros(client: redis.Redis, day: str) -> tuple[int, int]:
    """(spent, reserved) of a day, straight from Redis."""
    spent, reserved = client.hmget(f"orgair:llm:budget:v1:{day}", ["spent", "reserved"])
    return int(spent or 0), int(reserved or 0)


def budget_for(
    client: redis.Redis, usd: float, clock: Clock, threshold: float = 0.8
) -> DailyBudget:
    return DailyBudget(client, budget_usd=usd, alert_threshold_pct=threshold, clock=clock)


@dataclass
class CapturedLogs:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]


@pytest.fixture
def captured_logs() -> Iterator[CapturedLogs]:
    """Every log line (JSON, DEBUG and up, the SDKs' and the HTTP clients' too)."""
    stream = io.StringIO()
    root = logging.getLogger()
    previous_level = root.level
    configure_logging(service="llm-test", level="DEBUG", stream=stream)
    yield CapturedLogs(stream)
    for handler in list(root.handlers):
        if getattr(handler, "stream", None) is stream:
            root.removeHandler(handler)
    root.setLevel(previous_level)
