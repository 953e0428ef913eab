"""The ledger in the database: a row per attempt, the daily usage report, and a failing
ledger that must not fail a call that was already paid for."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import structlog
from sqlalchemy import select

from orgair_config import Settings
from orgair_database import Database, build_engine
from orgair_init.migrate import upgrade
from orgair_llm import LedgerEntry, LLMClient, Message, SqlLedgerSink, usage
from orgair_llm.ledger_table import LLMCall
from tests.llm.conftest import CapturedLogs, Clock, Sleeps
from tests.llm.fake_providers import FakeProvider, answer, fail

PROMPT = (Message("user", "Summarise the evidence."),)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/ledger.db"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    database = Database(build_engine(url))
    with database.session() as session:
        session.query(LLMCall).delete()
    yield database
    database.dispose()


def sql_client(
    llm_settings: Callable[..., Settings],
    database: Database,
    clock: Clock,
    sleeps: Sleeps,
    **overrides: object,
) -> LLMClient:
    return LLMClient.from_settings(
        llm_settings(**overrides), ledger=SqlLedgerSink(database), clock=clock, sleep=sleeps
    )


def test_every_attempt_is_a_row(
    llm_settings: Callable[..., Settings],
    database: Database,
    clock: Clock,
    sleeps: Sleeps,
    budget_redis: object,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
) -> None:
    openai_fake.script(fail(429))
    anthropic_fake.script(answer(input_tokens=40, output_tokens=8))
    client = sql_client(llm_settings, database, clock, sleeps, LLM_MAX_RETRIES=0)
    structlog.contextvars.bind_contextvars(correlation_id="corr-ledger-1")
    try:
        completion = client.complete(purpose="justification", system="", messages=PROMPT)
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")
        client.close()

    with database.session() as session:
        rows = session.scalars(select(LLMCall).order_by(LLMCall.attempt)).all()
    assert [(row.provider, row.outcome, row.fallback_used, row.attempt) for row in rows] == [
        ("openai", "rate_limited", False, 1),
        ("anthropic", "ok", True, 2),
    ]
    failed, answered = rows
    assert {row.call_id for row in rows} == {completion.call_id}
    assert (failed.cost_micros, failed.error) == (0, "rate_limited 429")
    assert (answered.input_tokens, answered.output_tokens) == (40, 8)
    assert answered.cost_micros == 40 * 3 + 8 * 15
    assert answered.model == "claude-sonnet-4-20250514"
    assert answered.purpose == "justification"
    assert answered.correlation_id == "corr-ledger-1"
    assert (answered.provider_request_id or "").startswith("msg_")  # the provider's id
    assert answered.created_at == clock.now
    assert answered.reserved_micros > answered.cost_micros
    assert answered.latency_ms >= 0


def entry(
    day: date, *, model: str, purpose: str, outcome: str = "ok", cost: int = 0, tokens: int = 0
) -> LedgerEntry:
    return LedgerEntry(
        id=uuid.uuid4(),
        call_id=uuid.uuid4(),
        created_at=datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC),
        purpose=purpose,
        provider="openai" if model.startswith("gpt") else "anthropic",
        model=model,
        attempt=1,
        outcome=outcome,  # type: ignore[arg-type]
        fallback_used=not model.startswith("gpt"),
        input_tokens=tokens,
        output_tokens=tokens // 10,
        cost_micros=cost,
        reserved_micros=cost + 1000,
        latency_ms=12,
        correlation_id=None,
    )


def test_usage_sums_a_day_by_model_and_purpose(database: Database) -> None:
    sink = SqlLedgerSink(database)
    day = date(2026, 5, 4)
    gpt, claude = "gpt-4o-2024-08-06", "claude-sonnet-4-20250514"
    for item in (
        entry(day, model=gpt, purpose="justification", cost=1_000_001, tokens=100),
        entry(day, model=gpt, purpose="justification", cost=2, tokens=50),
        entry(day, model=gpt, purpose="justification", outcome="server_error"),
        entry(day, model=gpt, purpose="ic_memo", cost=500, tokens=7),
        entry(day, model=claude, purpose="justification", cost=3_000, tokens=30),
        entry(day - timedelta(days=1), model=gpt, purpose="justification", cost=99_999),
        entry(day + timedelta(days=1), model=gpt, purpose="justification", cost=99_999),
    ):
        sink.record(item)

    with database.session() as session:
        report = usage(session, day)
    lines = [
        (
            line.model,
            line.purpose,
            line.attempts,
            line.succeeded,
            line.input_tokens,
            line.cost_micros,
        )
        for line in report.lines
    ]
    assert lines == [
        (gpt, "justification", 3, 2, 150, 1_000_003),
        (claude, "justification", 1, 1, 30, 3_000),
        (gpt, "ic_memo", 1, 1, 7, 500),
    ]
    assert report.cost_micros == 1_003_503
    body = report.as_dict()
    assert body["day"] == "2026-05-04"
    assert body["total"] == {
        "attempts": 5,
        "succeeded": 4,
        "input_tokens": 187,
        "output_tokens": 18,
        "cost_usd": 1.003503,
    }
    with database.session() as session:
        assert usage(session, date(2026, 1, 1)).lines == ()


def test_a_ledger_that_cannot_write_does_not_fail_the_call(
    llm_settings: Callable[..., Settings],
    tmp_path: object,
    clock: Clock,
    sleeps: Sleeps,
    budget_redis: object,
    openai_fake: FakeProvider,
    captured_logs: CapturedLogs,
) -> None:
    unmigrated = Database(build_engine(f"sqlite:///{tmp_path}/empty.db"))
    client = sql_client(llm_settings, unmigrated, clock, sleeps)
    try:
        completion = client.complete(purpose="test", system="", messages=PROMPT)
    finally:
        client.close()
        unmigrated.dispose()
    assert completion.text == "fake answer"
    (failure,) = captured_logs.events("llm_ledger_write_failed")
    assert failure["call_id"] == str(completion.call_id)
    assert failure["error"] == "OperationalError"
