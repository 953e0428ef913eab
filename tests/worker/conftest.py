"""A fund-job stack for the worker tests: the scoring API on a real port, real Celery
worker processes (`python -m orgair_worker`, as compose runs it), Redis, the S3 server
and one SQLite database, all on loopback.

Each test module gets its own stack; a module tunes it with `WORKER_SETTINGS`
(chunk size, time limits, ...) and `worker_settings(request)` (settings that depend on
other fixtures, such as the fake LLM providers' addresses). Workers are started by the tests, so a test can
kill one and start another.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from orgair_auth import Role
from orgair_cli.devstack import ProcessGroup, RunningProcess, worker_spec
from orgair_config import Settings
from orgair_domain.scores.models import OrgAirScore
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_objectstore import ObjectStore
from orgair_scoring_api.app import create_app
from tests.conftest import TEST_SECRET_KEY, GatewayIdentityAuth
from tests.gateway.support import serving
from tests.support.servers import RedisServer
from tests.worker.portfolio import SeededCompany, seed_scorable_companies

V2 = "/api/v2"
JOB_TIMEOUT_SECONDS = 90.0

# Short enough for a test to see a dead worker's tasks come back quickly, long enough
# for any task of these tests (each well under a second).
TEST_WORKER_SETTINGS: dict[str, Any] = {
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": 12,
    "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS": 8,
    "CELERY_TASK_TIME_LIMIT_SECONDS": 10,
    "CELERY_TASK_MAX_RETRIES": 3,
    "CELERY_RETRY_BACKOFF_MAX_SECONDS": 2,
    "WORKER_CONCURRENCY": 2,
    "WORKER_HEARTBEAT_INTERVAL_SECONDS": 0.5,
    "JOB_SSE_KEEPALIVE_SECONDS": 1,
    "FUND_JOB_CHUNK_SIZE": 25,
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    # Several workers start in one test run: metrics only where a test asks for them.
    "WORKER_METRICS_PORT": 0,
}


@dataclass
class JobStack:
    settings: Settings
    worker_env: dict[str, str]
    api: httpx.Client
    engine: Engine
    log_dir: Path
    workers: ProcessGroup
    broker: redis.Redis
    started: list[RunningProcess] = field(default_factory=list)

    # ---------------------------------------------------------------- workers

    def start_worker(self, name: str) -> RunningProcess:
        spec = worker_spec(
            self.log_dir / f"{name}.heartbeat", name=name, env=self.worker_env, cwd=self.log_dir
        )
        self.workers.start(spec)
        running = self.workers.running[-1]
        self.started.append(running)
        return running

    def kill_worker(self, running: RunningProcess) -> None:
        """SIGKILL the worker's main process and its pool processes at once."""
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait(timeout=10)
        self.workers.running.remove(running)

    def worker_log(self, running: RunningProcess) -> str:
        return running.log_path.read_text(errors="replace")

    # -------------------------------------------------------------------- data

    def seed_companies(self, count: int, **options: Any) -> list[SeededCompany]:
        return seed_scorable_companies(self.engine, count, **options)

    def create_fund(self, members: list[dict[str, Any]], name: str = "Test Fund") -> str:
        response = self.api.post(f"{V2}/funds", json={"name": name, "members": members})
        assert response.status_code == 201, response.text
        fund_id: str = response.json()["id"]
        return fund_id

    def job_scores(self, job_id: str) -> list[OrgAirScore]:
        with Session(self.engine) as session:
            return list(session.scalars(select(OrgAirScore).where(OrgAirScore.job_id == job_id)))

    def score_rows_per_company(self, company_ids: list[str]) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(OrgAirScore.company_id, func.count())
                .where(OrgAirScore.company_id.in_(company_ids))
                .group_by(OrgAirScore.company_id)
            )
            return {str(company): count for company, count in rows}

    # -------------------------------------------------------------------- jobs

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.api.get(f"{V2}/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_for_job(
        self,
        job_id: str,
        until: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = JOB_TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.job(job_id)
            if until(body):
                return body
            if time.monotonic() > deadline:
                logs = "\n".join(running.tail(20) for running in self.started)
                pytest.fail(f"job {job_id} did not get there in {timeout:g}s: {body}\n{logs}")
            time.sleep(0.05)

    def wait_until_finished(self, job_id: str, **options: Any) -> dict[str, Any]:
        return self.wait_for_job(
            job_id, lambda job: job["state"] in {"succeeded", "failed", "cancelled"}, **options
        )


def _values(log_dir: Path, redis_server: RedisServer, s3_endpoint: str, overrides: dict[str, Any]
            ) -> dict[str, Any]:  # fmt: skip
    values: dict[str, Any] = {
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{log_dir / 'orgair.db'}",
        "REDIS_URL": redis_server.url_for(0),
        "CELERY_BROKER_URL": redis_server.url_for(1),
        "CELERY_RESULT_BACKEND": redis_server.url_for(2),
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": "orgair-test",
        **TEST_WORKER_SETTINGS,
        **overrides,
    }
    return {name: str(value) for name, value in values.items()}


@pytest.fixture(scope="module")
def job_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
    s3_endpoint: str,
) -> Iterator[JobStack]:
    log_dir = tmp_path_factory.mktemp("job-stack")
    overrides = dict(getattr(request.module, "WORKER_SETTINGS", {}))
    # A module whose settings depend on other fixtures (servers started at run time)
    # defines `worker_settings(request)` as well.
    more = getattr(request.module, "worker_settings", None)
    if more is not None:
        overrides.update(more(request))
    values = _values(log_dir, redis_server, s3_endpoint, overrides)
    settings = Settings(_env_file=None, **values)
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # Tasks other tests published (their jobs live in other databases) are not ours.
    broker.flushdb()
    engine = create_engine(settings.database_url)
    workers = ProcessGroup(log_dir, base_env={**os.environ, **values})
    with (
        serving(create_app(settings)) as server,
        httpx.Client(
            base_url=server.url, auth=GatewayIdentityAuth(Role.ANALYST), timeout=30
        ) as api,
    ):
        stack = JobStack(settings, values, api, engine, log_dir, workers, broker)
        try:
            yield stack
        finally:
            workers.stop()
            engine.dispose()
            broker.close()
