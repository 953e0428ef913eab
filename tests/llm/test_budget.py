"""The shared daily budget against a real Redis: reserve/settle arithmetic, exhaustion,
the day rolling over, the once-a-day alert, Redis being down."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
import redis
from prometheus_client import REGISTRY

from orgair_cli.devstack import free_port
from orgair_llm import (
    BudgetExhausted,
    BudgetUnavailable,
    DailyBudget,
    Message,
    budget_readiness,
)
from orgair_llm.budget import seconds_until_next_day
from tests.llm.conftest import (
    CapturedLogs,
    Clock,
    MakeClient,
    MemoryLedger,
    budget_for,
    spent_micros,
)
from tests.llm.fake_providers import FakeProvider, answer, fail, stall

PROMPT = (Message("user", "Summarise the evidence."),)  # 23 bytes
# gpt-4o-2024-08-06 at $2.50 / $10.00 per 1M tokens = 2.5 / 10 micro-dollars a token.
# Worst case with max 500 output tokens: input bound 23 bytes + 2 messages x 16 + 1024
# = 1079 tokens -> 2697.5 + 5000 = 7697.5, rounded up.
WORST_CASE_MICROS = 7698
# The fake's default answer: 100 input and 20 output tokens.
ACTUAL_MICROS = 100 * 2.5 + 20 * 10  # 450


def test_reserve_and_settle_arithmetic(budget_redis: redis.Redis, clock: Clock) -> None:
    budget = budget_for(budget_redis, 1.0, clock)
    day = clock.now.date().isoformat()

    first = budget.reserve(300_000)
    second = budget.reserve(700_000)  # exactly the budget: allowed
    assert spent_micros(budget_redis, day) == (0, 1_000_000)
    with pytest.raises(BudgetExhausted):
        budget.reserve(1)
    assert spent_micros(budget_redis, day) == (0, 1_000_000)  # a refusal holds nothing

    budget.settle(first, 100_000)  # 200,000 released
    assert spent_micros(budget_redis, day) == (100_000, 700_000)
    third = budget.reserve(200_000)
    budget.settle(second, 0)  # all released (an error status costs nothing)
    budget.settle(third, 200_000)
    assert spent_micros(budget_redis, day) == (300_000, 0)

    status = budget.status()
    assert (status.spent_usd, status.reserved_usd, status.remaining_usd) == (0.3, 0.0, 0.7)
    assert status.as_dict()["used_pct"] == 30.0
    assert not status.alert
    # the day's hash expires an hour after the day ends (an absolute time: the test's
    # clock is not the Redis server's, so a relative TTL would depend on the hour CI runs)
    ttl = budget_redis.ttl(f"orgair:llm:budget:v1:{day}")
    server_now, _ = budget_redis.time()
    expires = int(clock.now.timestamp()) + seconds_until_next_day(clock.now) + 3600
    assert abs(server_now + ttl - expires) <= 2


def test_exhaustion_says_when_the_budget_renews(budget_redis: redis.Redis, clock: Clock) -> None:
    budget = budget_for(budget_redis, 0.01, clock)
    clock.set_time(18, 30)
    with pytest.raises(BudgetExhausted) as raised:
        budget.reserve(20_000)
    assert raised.value.retry_after_seconds == 5 * 3600 + 30 * 60
    assert raised.value.day == clock.now.date()
    assert "$0.01" in str(raised.value)
    clock.set_time(23, 59, 59, 500_000)
    with pytest.raises(BudgetExhausted) as raised:
        budget.reserve(20_000)
    assert raised.value.retry_after_seconds == 1


def test_a_call_reserves_its_worst_case_and_settles_its_actual_cost(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    budget_redis: redis.Redis,
    clock: Clock,
    ledger: MemoryLedger,
) -> None:
    day = clock.now.date().isoformat()
    openai_fake.script(answer(delay=0.5))
    client = make_client()
    seen_during_call: list[tuple[int, int]] = []

    def watch() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            state = spent_micros(budget_redis, day)
            if state[1]:
                seen_during_call.append(state)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    completion = client.complete(purpose="test", system="", messages=PROMPT)
    watcher.join()

    assert seen_during_call == [(0, WORST_CASE_MICROS)]  # held while the call ran
    assert spent_micros(budget_redis, day) == (ACTUAL_MICROS, 0)  # settled at the actual cost
    (entry,) = ledger.entries
    assert (entry.reserved_micros, entry.cost_micros) == (WORST_CASE_MICROS, ACTUAL_MICROS)
    assert completion.cost_usd == ACTUAL_MICROS / 1e6


def test_failed_attempts_cost_nothing_unless_the_provider_may_have_billed_them(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    budget_redis: redis.Redis,
    clock: Clock,
    ledger: MemoryLedger,
) -> None:
    day = clock.now.date().isoformat()
    openai_fake.script(fail(500), stall(3))
    anthropic_fake.script(answer(input_tokens=10, output_tokens=10))
    make_client(LLM_MAX_RETRIES=1).complete(purpose="test", system="", messages=PROMPT)

    assert ledger.outcomes() == ["server_error", "timeout", "ok"]
    costs = [entry.cost_micros for entry in ledger.entries]
    # 500: nothing billed. Time-out after the request was sent: the worst case is kept.
    # Claude at $3 / $15: 10 x 3 + 10 x 15 = 180.
    assert costs == [0, WORST_CASE_MICROS, 180]
    assert spent_micros(budget_redis, day) == (sum(costs), 0)


def test_exhaustion_mid_batch_stops_provider_calls(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    budget_redis: redis.Redis,
    clock: Clock,
    ledger: MemoryLedger,
) -> None:
    # 8,500 micro-dollars: two calls fit (0 + 7698, then 450 + 7698); the third does not
    # (900 + 7698 > 8500) although only 900 have been spent.
    client = make_client(DAILY_COST_BUDGET_USD=0.0085)
    results: list[str] = []
    for _ in range(5):
        try:
            client.complete(purpose="batch", system="", messages=PROMPT)
            results.append("ok")
        except BudgetExhausted as exc:
            results.append(f"exhausted:{exc.retry_after_seconds}")

    assert results == ["ok", "ok"] + [f"exhausted:{12 * 3600}"] * 3
    assert openai_fake.calls == 2
    assert anthropic_fake.calls == 0  # exhaustion is not a reason to fall back
    assert ledger.outcomes() == ["ok", "ok"] + ["budget_exhausted"] * 3
    assert spent_micros(budget_redis, clock.now.date().isoformat()) == (2 * ACTUAL_MICROS, 0)


def test_the_budget_renews_when_the_day_rolls_over(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    budget_redis: redis.Redis,
    clock: Clock,
) -> None:
    client = make_client(DAILY_COST_BUDGET_USD=0.008)  # one call a day
    today = clock.now.date()
    client.complete(purpose="test", system="", messages=PROMPT)
    with pytest.raises(BudgetExhausted):
        client.complete(purpose="test", system="", messages=PROMPT)

    clock.advance(days=1)
    client.complete(purpose="test", system="", messages=PROMPT)
    assert openai_fake.calls == 2
    assert spent_micros(budget_redis, today.isoformat()) == (ACTUAL_MICROS, 0)
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert spent_micros(budget_redis, tomorrow) == (ACTUAL_MICROS, 0)
    assert client.budget_status().day.isoformat() == tomorrow


def test_a_reservation_settles_on_the_day_it_was_made(
    budget_redis: redis.Redis, clock: Clock
) -> None:
    budget = budget_for(budget_redis, 1.0, clock)
    clock.set_time(23, 59, 59)
    today = clock.now.date().isoformat()
    reservation = budget.reserve(5000)
    clock.advance(seconds=2)
    budget.settle(reservation, 1234)
    assert spent_micros(budget_redis, today) == (1234, 0)
    assert spent_micros(budget_redis, clock.now.date().isoformat()) == (0, 0)


def test_the_alert_is_logged_once_a_day(
    budget_redis: redis.Redis, clock: Clock, captured_logs: CapturedLogs
) -> None:
    budget = budget_for(budget_redis, 1.0, clock, threshold=0.8)
    budget.settle(budget.reserve(500_000), 500_000)
    assert captured_logs.events("llm_budget_alert") == []
    assert not budget.status().alert

    budget.settle(budget.reserve(300_000), 300_000)  # 80 %
    budget.settle(budget.reserve(100_000), 100_000)
    other_process = budget_for(budget_redis, 1.0, clock, threshold=0.8)
    other_process.settle(other_process.reserve(10_000), 10_000)
    (alert,) = captured_logs.events("llm_budget_alert")
    assert alert["level"] == "warning"
    assert (alert["spent_usd"], alert["budget_usd"], alert["threshold_pct"]) == (0.8, 1.0, 0.8)
    status = budget.status()
    assert status.alert and status.alert_raised

    clock.advance(days=1)
    budget.settle(budget.reserve(900_000), 900_000)
    budget.settle(budget.reserve(10_000), 10_000)
    assert len(captured_logs.events("llm_budget_alert")) == 2


def test_gauges_show_the_shared_spend(budget_redis: redis.Redis, clock: Clock) -> None:
    budget = budget_for(budget_redis, 2.5, clock)
    held = budget.reserve(400_000)
    assert REGISTRY.get_sample_value("orgair_llm_budget_usd") == 2.5
    assert REGISTRY.get_sample_value("orgair_llm_spend_usd", {"state": "reserved"}) == 0.4
    budget.settle(held, 250_000)
    assert REGISTRY.get_sample_value("orgair_llm_spend_usd", {"state": "spent"}) == 0.25
    assert REGISTRY.get_sample_value("orgair_llm_spend_usd", {"state": "reserved"}) == 0.0
    details = asyncio.run(budget_readiness(budget))
    assert details["spent_usd"] == 0.25
    assert details["remaining_usd"] == 2.25
    assert details["alert"] is False


def test_redis_down_means_no_llm_call(
    make_client: MakeClient,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
    clock: Clock,
    ledger: MemoryLedger,
) -> None:
    client = make_client(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(BudgetUnavailable) as raised:
        client.complete(purpose="test", system="", messages=PROMPT)
    assert "cannot be checked" in str(raised.value)
    assert "no LLM call is made" in str(raised.value)
    assert (openai_fake.calls, anthropic_fake.calls) == (0, 0)
    assert ledger.outcomes() == ["budget_unavailable"]
    with pytest.raises(BudgetUnavailable):
        client.budget_status()
    with pytest.raises(BudgetUnavailable):
        asyncio.run(budget_readiness(client.budget))


def test_settling_after_redis_went_away_is_logged_not_raised(
    clock: Clock, captured_logs: CapturedLogs
) -> None:
    from tests.support.servers import running_redis

    with running_redis("budget-redis") as server:
        client = redis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
        budget = DailyBudget(client, budget_usd=1.0, alert_threshold_pct=0.8, clock=clock)
        reservation = budget.reserve(5000)
        server.stop()
        budget.settle(reservation, 100)  # the call already happened: nothing to undo
    (failure,) = captured_logs.events("llm_budget_settle_failed")
    assert (failure["reserved_usd"], failure["actual_usd"]) == (0.005, 0.0001)
    assert failure["level"] == "error"
