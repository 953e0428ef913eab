"""An MCP stack for the tests: the real scoring API and the real gateway on loopback ports
(uvicorn, one SQLite database, Redis, the S3 server), a Celery worker process for the
background jobs, keys of every role, and a scored portfolio to talk about.

Assistants are played by the official SDK's `Client` over real Streamable HTTP
(`McpSession`), or over stdio through `orgair mcp` (test_stdio.py). The stack is
built once per module; a module adds settings by overriding `stack_settings` (the
fake LLM providers' addresses and keys, say). A test that needs another gateway (a
small rate limit, scoring stopped) starts its own in front of the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import redis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from opentelemetry import propagate

from orgair_auth import ApiKeyRepository, Role
from orgair_cli.devstack import ProcessGroup, worker_spec
from orgair_config import Settings
from orgair_database import Database
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_objectstore import ObjectStore
from tests.conftest import TEST_SECRET_KEY
from tests.gateway.support import ThreadedServer, serving
from tests.support.servers import RedisServer

DIMENSIONS = (
    "data_infrastructure",
    "ai_governance",
    "technology_stack",
    "talent_skills",
    "leadership_vision",
    "use_case_portfolio",
    "culture_change",
)
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"
MANUFACTURING = "550e8400-e29b-41d4-a716-446655440001"
JOB_TIMEOUT_SECONDS = 90.0
FINISHED = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class Portfolio:
    """What the stack holds before the tests run (all created through the REST API)."""

    fund_id: str
    company_ids: dict[str, str]  # name -> id
    submitted_assessment_id: str  # submitted, not yet scored
    scored_company_id: str  # has an approved score
    scored_assessment_id: str  # the assessment behind that score
    pending_score_id: str  # a score held for review


@dataclass
class McpStack:
    settings: Settings
    values: dict[str, Any]
    scoring: ThreadedServer
    gateway: ThreadedServer
    keys: dict[Role, str]
    portfolio: Portfolio
    log_dir: Path
    workers: ProcessGroup

    @property
    def mcp_url(self) -> str:
        return f"{self.gateway.url}/mcp"

    def rest(self, role: Role) -> httpx.Client:
        """The REST API through the same gateway, as a key of `role`."""
        return _rest_client(self.gateway.url, self.keys[role])

    def gateway_settings(self, **overrides: Any) -> Settings:
        return Settings(_env_file=None, **{**self.values, **overrides})


def _rest_client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _inject_trace_context(request: httpx2.Request) -> None:
    # What an instrumented HTTP client does: the current span's context on the request
    # (the SDK sends each request in its caller's context, and puts the same in `_meta`).
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    for name, value in carrier.items():
        request.headers[name] = value


async def _inject_hook(request: httpx2.Request) -> None:
    _inject_trace_context(request)


@contextlib.asynccontextmanager
async def mcp_session(url: str, key: str | None) -> AsyncIterator[Client]:
    """The official SDK client over Streamable HTTP, sending `key` as a Bearer token."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(
            headers=headers, timeout=30, event_hooks={"request": [_inject_hook]}
        ) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def ok(result: CallToolResult) -> dict[str, Any]:
    """A tool's structured result, failing the test with its error text when it is one."""
    assert not result.is_error, text_of(result)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


async def call(stack: McpStack, role: Role, tool: str, **arguments: Any) -> CallToolResult:
    """One tool call in its own session, as a key of `role`."""
    async with mcp_session(stack.mcp_url, stack.keys[role]) as client:
        return await client.call_tool(tool, arguments)


async def finished_job(stack: McpStack, job_id: str) -> dict[str, Any]:
    """`get_job_progress` until the job has finished (or the test fails at the deadline)."""
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        progress = ok(await call(stack, Role.VIEWER, "get_job_progress", job_id=job_id))
        if progress["state"] in FINISHED:
            return progress
        if time.monotonic() > deadline:
            tails = "\n".join(running.tail(20) for running in stack.workers.running)
            pytest.fail(
                f"job {job_id} unfinished after {JOB_TIMEOUT_SECONDS:g}s: {progress}\n{tails}"
            )
        await asyncio.sleep(0.2)


def _values(log_dir: Path, redis_server: RedisServer, s3_endpoint: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{log_dir / 'orgair.db'}",
        "REDIS_URL": redis_server.url_for(3),
        "CELERY_BROKER_URL": redis_server.url_for(4),
        "CELERY_RESULT_BACKEND": redis_server.url_for(5),
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": "orgair-mcp-test",
        "API_KEY_CACHE_SECONDS": 0,
        "RATE_LIMIT_PER_MINUTE": 1000,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "WORKER_CONCURRENCY": 1,
        "WORKER_HEARTBEAT_INTERVAL_SECONDS": 0.5,
        "WORKER_METRICS_PORT": 0,
        "FUND_JOB_CHUNK_SIZE": 10,
    }
    return {name: str(value) for name, value in values.items()}


def _issue_keys(settings: Settings) -> dict[Role, str]:
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            repository = ApiKeyRepository(session, TEST_SECRET_KEY)
            return {
                role: repository.create(name=f"mcp {role.value}", role=role).key for role in Role
            }
    finally:
        database.dispose()


def _submitted_assessment(api: httpx.Client, company_id: str, value: float) -> str:
    response = api.post(
        "/api/v1/assessments",
        json={
            "company_id": company_id,
            "assessment_type": "due_diligence",
            "talent_concentration": 0.2,
            "market_cap_percentile": 0.5,
        },
    )
    assert response.status_code == 201, response.text
    assessment_id: str = response.json()["id"]
    scores = [{"dimension": d, "score": value, "evidence_count": 3} for d in DIMENSIONS]
    response = api.post(f"/api/v1/assessments/{assessment_id}/scores", json={"scores": scores})
    assert response.status_code == 201, response.text
    for status in ("in_progress", "submitted"):
        response = api.patch(f"/api/v1/assessments/{assessment_id}/status", json={"status": status})
        assert response.status_code == 200, response.text
    return assessment_id


def _portfolio(stack_rest: Callable[[Role], httpx.Client]) -> Portfolio:
    """Four companies; one scored and approved, one held for review, one submitted."""
    with stack_rest(Role.ANALYST) as api:
        ids: dict[str, str] = {}
        for name, ticker, industry in (
            ("Acme Robotics", "ACME", MANUFACTURING),
            ("Beacon Analytics", "BCN", TECHNOLOGY),
            ("Cobalt Systems", "CBLT", TECHNOLOGY),
            ("Delta Foundry", "DLT", MANUFACTURING),
        ):
            response = api.post(
                "/api/v1/companies", json={"name": name, "ticker": ticker, "industry_id": industry}
            )
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        scored = _submitted_assessment(api, ids["Beacon Analytics"], 72)
        response = api.post(f"/api/v2/assessments/{scored}/score", json={})
        assert response.status_code == 201, response.text
        assert response.json()["review_status"] == "auto_approved", response.text
        # Far outside [40, 85]: held for a reviewer.
        held = _submitted_assessment(api, ids["Acme Robotics"], 20)
        response = api.post(f"/api/v2/assessments/{held}/score", json={})
        assert response.status_code == 201, response.text
        assert response.json()["review_status"] == "pending_review", response.text
        pending_score_id = response.json()["id"]
        submitted = _submitted_assessment(api, ids["Cobalt Systems"], 64)
        response = api.post(
            "/api/v2/funds",
            json={
                "name": "Growth Fund I",
                "members": [{"company_id": ids[name], "ev_usd": 100_000_000.0} for name in ids],
            },
        )
        assert response.status_code == 201, response.text
        return Portfolio(
            fund_id=response.json()["id"],
            company_ids=ids,
            submitted_assessment_id=submitted,
            scored_company_id=ids["Beacon Analytics"],
            scored_assessment_id=scored,
            pending_score_id=pending_score_id,
        )


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, Any]:
    """Settings a module adds to its stack (scoring, gateway and worker alike)."""
    return {}


@pytest.fixture(scope="module")
def mcp_stack(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
    s3_endpoint: str,
    stack_settings: dict[str, Any],
) -> Iterator[McpStack]:
    from orgair_gateway.app import create_app as create_gateway
    from orgair_scoring_api.app import create_app as create_scoring

    log_dir = tmp_path_factory.mktemp("mcp-stack")
    values = _values(log_dir, redis_server, s3_endpoint)
    values.update({name: str(value) for name, value in stack_settings.items()})
    settings = Settings(_env_file=None, **values)
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    for db in (3, 4, 5):
        redis.Redis.from_url(redis_server.url_for(db)).flushdb()
    keys = _issue_keys(settings)
    workers = ProcessGroup(log_dir, base_env={**os.environ, **values})
    with serving(create_scoring(settings)) as scoring:
        values["SCORING_URL"] = scoring.url
        with serving(create_gateway(Settings(_env_file=None, **values))) as gateway:
            portfolio = _portfolio(lambda role: _rest_client(gateway.url, keys[role]))
            try:
                yield McpStack(
                    settings, values, scoring, gateway, keys, portfolio, log_dir, workers
                )
            finally:
                workers.stop()


@pytest.fixture(scope="module")
def job_worker(mcp_stack: McpStack) -> McpStack:
    """A Celery worker process (`python -m orgair_worker`) for the stack's background jobs
    (fund scoring, justifications)."""
    mcp_stack.workers.start(
        worker_spec(
            mcp_stack.log_dir / "worker.heartbeat", env=mcp_stack.values, cwd=mcp_stack.log_dir
        )
    )
    return mcp_stack
