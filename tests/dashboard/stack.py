"""The platform for the dashboard tests: real servers on loopback, seeded through the API.

Redis and the S3 server (the session's), one SQLite database migrated and seeded as the
init job leaves it, the scoring API and the gateway as uvicorn servers (tests/gateway's
`serving`), and a Celery worker process (`python -m orgair_worker`, as compose runs it)
for fund jobs. Keys of each role are issued into the key store; companies, assessments,
scores and funds are created through the gateway's API with the analyst's key (bulk
members straight into the database as the worker tests do, see tests/worker/portfolio).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from orgair_auth import ApiKeyRepository, IssuedApiKey, Role
from orgair_cli.devstack import ProcessGroup, worker_spec
from orgair_config import Settings
from orgair_database import Database
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_objectstore import ObjectStore
from tests.conftest import TEST_SECRET_KEY
from tests.gateway.support import serving
from tests.support.servers import RedisServer
from tests.worker.conftest import TEST_WORKER_SETTINGS
from tests.worker.portfolio import INDUSTRY_BY_SECTOR, seed_scorable_companies

V1, V2 = "/api/v1", "/api/v2"
DIMENSIONS = (
    "data_infrastructure", "ai_governance", "technology_stack", "talent_skills",
    "leadership_vision", "use_case_portfolio", "culture_change",
)  # fmt: skip
# Redis databases of their own, so other tests' rate-limit counts and queues never meet ours.
REDIS_DB, BROKER_DB, RESULTS_DB = 3, 4, 5


@dataclass
class DashboardStack:
    gateway: str
    settings: Settings
    database: Database
    keys: dict[Role, IssuedApiKey]
    log_dir: Path
    workers: ProcessGroup
    worker_env: dict[str, str]
    clients: dict[Role, httpx.Client] = field(default_factory=dict)

    def start_worker(self) -> None:
        self.workers.start(
            worker_spec(self.log_dir / "worker.heartbeat", env=self.worker_env, cwd=self.log_dir)
        )

    def stop_worker(self) -> None:
        """Stop the worker (gracefully); jobs started meanwhile wait in the queue."""
        self.workers.stop()

    def api(self, role: Role = Role.ANALYST) -> httpx.Client:
        """An API client of the public port with the key of `role`."""
        if role not in self.clients:
            self.clients[role] = httpx.Client(
                base_url=self.gateway,
                headers={"Authorization": f"Bearer {self.keys[role].key}"},
                timeout=30,
                # A fresh connection per call: a kept-alive one can be closed by the server's
                # idle timeout just as the next request goes out on a loaded machine.
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self.clients[role]

    def call(self, method: str, path: str, expected: int, role: Role = Role.ANALYST,
             **kwargs: Any) -> Any:  # fmt: skip
        response = self.api(role).request(method, path, **kwargs)
        assert response.status_code == expected, (method, path, response.text)
        return response.json() if response.content else None

    def issue_key(self, role: Role, name: str) -> IssuedApiKey:
        with self.database.session() as session:
            return ApiKeyRepository(session, TEST_SECRET_KEY).create(name=name, role=role)

    def revoke_key(self, issued: IssuedApiKey) -> None:
        with self.database.session() as session:
            ApiKeyRepository(session, TEST_SECRET_KEY).revoke(issued.record.id)

    # ---------------------------------------------------------------- domain data

    def company(self, name: str, sector: str = "technology") -> dict[str, Any]:
        return self.call(  # type: ignore[no-any-return]
            "POST", f"{V1}/companies", 201,
            json={"name": name, "industry_id": str(INDUSTRY_BY_SECTOR[sector])},
        )  # fmt: skip

    def submitted_assessment(
        self, company_id: str, level: float, *, on: str = "2026-09-30"
    ) -> dict[str, Any]:
        assessment = self.call(
            "POST", f"{V1}/assessments", 201,
            json={"company_id": company_id, "assessment_type": "quarterly", "assessment_date": on,
                  "talent_concentration": 0.2, "market_cap_percentile": 0.5},
        )  # fmt: skip
        self.call(
            "POST", f"{V1}/assessments/{assessment['id']}/scores", 201,
            json={"scores": [
                {"dimension": d, "score": min(100.0, level + 3 * i), "evidence_count": 3}
                for i, d in enumerate(DIMENSIONS)
            ]},
        )  # fmt: skip
        for status in ("in_progress", "submitted"):
            self.call("PATCH", f"{V1}/assessments/{assessment['id']}/status", 200,
                      json={"status": status})  # fmt: skip
        return assessment  # type: ignore[no-any-return]

    def scored(self, company_id: str, level: float, *, on: str = "2026-09-30") -> dict[str, Any]:
        """A new submitted assessment of the company at `level`, scored (and gated)."""
        assessment = self.submitted_assessment(company_id, level, on=on)
        return self.call(  # type: ignore[no-any-return]
            "POST", f"{V2}/assessments/{assessment['id']}/score", 201
        )

    def fund(self, name: str, members: list[dict[str, Any]]) -> dict[str, Any]:
        return self.call(  # type: ignore[no-any-return]
            "POST", f"{V2}/funds", 201, json={"name": name, "members": members}
        )

    def bulk_companies(self, count: int, *, prefix: str, seed: int) -> list[str]:
        """`count` companies with submitted assessments, ready for a fund job."""
        seeded = seed_scorable_companies(self.database.engine, count, seed=seed, name_prefix=prefix)
        return [str(company.company_id) for company in seeded]

    def wait_for_job(self, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("GET", f"{V2}/jobs/{job_id}", 200)
            if job["state"] in {"succeeded", "failed", "cancelled"}:
                return job  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, job
            time.sleep(0.1)


def stack_settings(log_dir: Path, redis_server: RedisServer, s3_endpoint: str,
                   **overrides: Any) -> dict[str, Any]:  # fmt: skip
    values: dict[str, Any] = {
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{log_dir / 'orgair.db'}",
        "REDIS_URL": redis_server.url_for(REDIS_DB),
        "CELERY_BROKER_URL": redis_server.url_for(BROKER_DB),
        "CELERY_RESULT_BACKEND": redis_server.url_for(RESULTS_DB),
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": "orgair-dashboard-test",
        **TEST_WORKER_SETTINGS,
        # Revocation takes effect on the next request, so a test can watch it happen.
        "API_KEY_CACHE_SECONDS": 0,
        "RATE_LIMIT_PER_MINUTE": 1000,
        **overrides,
    }
    return {name: str(value) for name, value in values.items()}


@contextlib.contextmanager
def running_stack(
    log_dir: Path, redis_server: RedisServer, s3_endpoint: str, *, worker: bool = True,
    **overrides: Any,
) -> Iterator[DashboardStack]:  # fmt: skip
    from orgair_gateway.app import create_app as create_gateway
    from orgair_scoring_api.app import create_app as create_scoring

    values = stack_settings(log_dir, redis_server, s3_endpoint, **overrides)
    settings = Settings(_env_file=None, **values)
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    for db in (REDIS_DB, BROKER_DB, RESULTS_DB):
        with contextlib.closing(redis.Redis.from_url(redis_server.url_for(db))) as redis_client:
            redis_client.flushdb()
    database = Database.from_settings(settings)
    workers = ProcessGroup(log_dir, base_env={**os.environ, **values})
    try:
        with serving(create_scoring(settings)) as scoring:
            gateway_settings = Settings(_env_file=None, **{**values, "SCORING_URL": scoring.url})
            with serving(create_gateway(gateway_settings)) as gateway:
                stack = DashboardStack(
                    gateway.url, gateway_settings, database, {}, log_dir, workers, values
                )
                if worker:
                    stack.start_worker()
                for role in Role:
                    stack.keys[role] = stack.issue_key(role, f"Dana {role.value.title()}")
                try:
                    yield stack
                finally:
                    for client in stack.clients.values():
                        client.close()
    finally:
        workers.stop()
        database.dispose()
