"""Two worker processes spend one budget at the same time and never exceed it.

Each fake answer costs exactly its worst case, so a correct budget admits exactly
floor(budget / worst case) calls however the processes interleave; a check-then-add
that is not atomic admits more as soon as two reservations race.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select

from orgair_init.migrate import upgrade
from orgair_llm.ledger_table import LLMCall
from tests.conftest import REPO_ROOT, TEST_SECRET_KEY
from tests.llm.conftest import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    REDIS_DB,
    spent_micros,
)
from tests.llm.fake_providers import FakeProvider, answer
from tests.support.servers import RedisServer

BUDGET_USD = 1.0
BUDGET_MICROS = 1_000_000
# The worker's prompt at gpt-4o prices with 500 output tokens (see test_budget).
WORST_CASE_MICROS = 7698
THREADS_PER_PROCESS = 3


def test_two_processes_never_spend_more_than_the_budget(
    tmp_path: Path,
    redis_server: RedisServer,
    budget_redis: redis.Redis,
    openai_fake: FakeProvider,
    anthropic_fake: FakeProvider,
) -> None:
    # usage reported = the worst case: 1079 input and 500 output tokens
    openai_fake.default = answer(input_tokens=1079, output_tokens=500, delay=0.02)
    database_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(database_url)
    go_file = tmp_path / "go"
    first_day = datetime.now(UTC).date()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENAI_", "ANTHROPIC_"))
    }
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        SECRET_KEY=TEST_SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=redis_server.url_for(REDIS_DB),
        OPENAI_API_KEY=OPENAI_KEY,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        OPENAI_BASE_URL=openai_fake.base_url,
        ANTHROPIC_BASE_URL=anthropic_fake.base_url,
        DAILY_COST_BUDGET_USD=str(BUDGET_USD),
        LLM_MAX_OUTPUT_TOKENS="500",
        LOG_LEVEL="WARNING",
    )
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.llm.budget_worker",
                str(THREADS_PER_PROCESS),
                str(go_file),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr
        go_file.touch()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
    counts = [json.loads(stdout.strip().splitlines()[-1])["succeeded"] for stdout, _ in outputs]

    fits = BUDGET_MICROS // WORST_CASE_MICROS  # 129
    assert sum(counts) == fits
    assert all(count > 0 for count in counts)  # both processes spent
    assert openai_fake.calls == fits  # nothing was sent past the budget
    assert anthropic_fake.calls == 0
    days = {first_day, datetime.now(UTC).date()}  # a run across midnight spends two budgets
    spent, reserved = (
        sum(values)
        for values in zip(
            *(spent_micros(budget_redis, day.isoformat()) for day in days), strict=True
        )
    )
    assert (spent, reserved) == (fits * WORST_CASE_MICROS, 0)
    assert spent <= BUDGET_MICROS

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            ok_rows, ledger_cost = connection.execute(
                select(func.count(), func.sum(LLMCall.cost_micros)).where(LLMCall.outcome == "ok")
            ).one()
            refused = connection.execute(
                select(func.count()).where(LLMCall.outcome == "budget_exhausted")
            ).scalar_one()
    finally:
        engine.dispose()
    assert (ok_rows, ledger_cost) == (fits, spent)
    assert refused == 2 * THREADS_PER_PROCESS  # each thread stopped at its first refusal
