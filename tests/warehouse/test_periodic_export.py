"""The worker's periodic export, with real worker processes (`python -m orgair_worker`):
it runs on its interval, carries new and changed rows, reports lag and rows as Prometheus
metrics, and two workers never export at once nor schedule twice per interval."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from orgair_cli.devstack import ProcessGroup, RunningProcess, free_port, worker_spec
from orgair_config import Settings
from tests.api.helpers import V1
from tests.api_v2.helpers import company
from tests.warehouse.portfolio import Portfolio
from tests.worker.conftest import TEST_WORKER_SETTINGS

INTERVAL_SECONDS = 2
WAIT_SECONDS = 90.0


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], warehouse_overrides: dict[str, Any]
) -> Settings:
    # Time limits for the emulator's pace (a run costs a few statements per table).
    limits = {
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": 90,
        "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS": 60,
        "CELERY_TASK_TIME_LIMIT_SECONDS": 70,
        "WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS": 40,
    }
    return make_settings(
        **(TEST_WORKER_SETTINGS | limits),
        **warehouse_overrides,
        WAREHOUSE_EXPORT_INTERVAL_SECONDS=INTERVAL_SECONDS,
    )


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[ProcessGroup]:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()  # tasks, schedule claims and locks of other tests are not ours
    broker.close()
    values = {
        name: str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)
        for name, value in settings.model_dump().items()
        if value is not None and name in Settings.model_fields and not isinstance(value, list)
    }
    group = ProcessGroup(tmp_path, base_env={**os.environ, **values})
    yield group
    group.stop()


def start_worker(group: ProcessGroup, tmp_path: Path, name: str, **env: str) -> RunningProcess:
    group.start(worker_spec(tmp_path / f"{name}.heartbeat", name=name, env=env, cwd=tmp_path))
    return group.running[-1]


def count(warehouse: Engine, sql: str, **params: Any) -> int:
    with warehouse.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def wait_for(condition: Callable[[], bool], what: str, logs: list[RunningProcess]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(running.tail(30) for running in logs)
            pytest.fail(f"{what} did not happen within {WAIT_SECONDS:g}s\n{tails}")
        time.sleep(0.5)


def export_runs(running: RunningProcess) -> list[dict[str, Any]]:
    runs = []
    for line in running.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") in ("warehouse_export_run", "warehouse_export_failed"):
                runs.append(record)
    return runs


def scrape(port: int) -> str:
    """The worker's /metrics ('' until its metrics server is up)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body: bytes = response.read()
    except OSError:
        return ""
    return body.decode()


def test_workers_export_on_their_interval_one_at_a_time(
    client: TestClient,
    portfolio: Portfolio,
    warehouse: Engine,
    workers: ProcessGroup,
    tmp_path: Path,
) -> None:
    metrics_port = free_port()
    first = start_worker(workers, tmp_path, "worker-a", WORKER_METRICS_PORT=str(metrics_port))
    started = time.monotonic()
    wait_for(
        lambda: 'orgair_warehouse_exports_total{outcome="complete"}' in scrape(metrics_port),
        "the first periodic export",
        [first],
    )
    assert count(warehouse, "SELECT COUNT(*) FROM companies") == 3
    metrics = scrape(metrics_port)
    assert 'orgair_warehouse_rows_exported_total{table="companies"} 3.0' in metrics
    assert 'orgair_warehouse_export_lag_seconds{table="companies"}' in metrics
    assert 'orgair_warehouse_last_export_timestamp_seconds{table="companies"}' in metrics
    assert 'orgair_warehouse_exports_total{outcome="complete"}' in metrics

    # A second worker joins; new and changed rows keep arriving, one export at a time.
    second = start_worker(workers, tmp_path, "worker-b")
    added = company(client, name="Epsilon Energy", ticker="eps")
    gamma = portfolio.companies[2]
    assert client.put(f"{V1}/companies/{gamma}", json={"ticker": "gmx"}).status_code == 200
    wait_for(
        lambda: (
            count(warehouse, "SELECT COUNT(*) FROM companies WHERE id = :id", id=added["id"]) == 1
            and count(warehouse, "SELECT COUNT(*) FROM companies WHERE ticker = 'GMX'") == 1
        ),
        "the new and the changed company in the warehouse",
        [first, second],
    )
    time.sleep(3 * INTERVAL_SECONDS)  # a few more intervals with both workers up
    elapsed = time.monotonic() - started
    runs = export_runs(first) + export_runs(second)
    outcomes = [run.get("outcome", "failed") for run in runs]
    assert "failed" not in outcomes, [run.get("error") for run in runs]
    assert outcomes.count("complete") >= 2
    # One task per interval across both workers (a claim in Redis), not one per worker.
    assert len(runs) <= elapsed / INTERVAL_SECONDS + 2, (len(runs), elapsed)
    with warehouse.connect() as connection:
        versions = connection.execute(
            text("SELECT version, batches FROM _export_state WHERE table_name = 'companies'")
        ).one()
    assert versions[0] == versions[1]  # every advance of the mark was one committed batch
