"""Rate limits shared through one real Redis by two real gateway processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
import pytest

from orgair_auth import Role, generate_api_key
from orgair_cli.devstack import ProcessGroup, ProcessSpec, http_ok
from orgair_config import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.gateway.conftest import IssueKey
from tests.gateway.support import FakeUpstream, ThreadedServer
from tests.support.servers import RedisServer, free_port, running_redis

QUOTA = 7
# Failed attempts per address and minute after which no uncached key is looked up.
CEILING = 12


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, which it stops."""
    with running_redis(name="redis-rate-limit") as server:
        yield server


@pytest.fixture
def start_gateway_process(
    migrated: Settings,
    own_redis: RedisServer,
    fake_upstream: tuple[FakeUpstream, ThreadedServer],
    tmp_path: Path,
) -> Iterator[Callable[..., str]]:
    """`start_gateway_process(**env)`: a `python -m orgair_gateway` process on the shared
    Redis and key store, with these settings on top; returns its base URL."""
    env = {name: value for name, value in os.environ.items() if name not in Settings.model_fields}
    env.update(
        SECRET_KEY=TEST_SECRET_KEY,
        DATABASE_URL=migrated.database_url,
        REDIS_URL=own_redis.url,
        SCORING_URL=fake_upstream[1].url,
        RATE_LIMIT_PER_MINUTE=str(QUOTA),
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE="3",
        RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE=str(CEILING),
        LOG_FORMAT="json",
    )
    group = ProcessGroup(tmp_path / "logs", base_env=env)

    def start(**overrides: str) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        group.start(
            ProcessSpec(
                name=f"gateway-{port}",
                argv=[sys.executable, "-m", "orgair_gateway"],
                env={"GATEWAY_PORT": str(port), **overrides},
                ready=partial(http_ok, f"{url}/livez"),
                startup_timeout=60,
            )
        )
        return url

    try:
        yield start
    finally:
        group.stop()


@pytest.fixture
def two_gateways(start_gateway_process: Callable[..., str]) -> list[str]:
    """Two gateway processes sharing one Redis and one key store."""
    return [start_gateway_process(), start_gateway_process()]


def test_exactly_the_quota_passes_across_two_processes(
    two_gateways: list[str], issue_key: IssueKey, own_redis: RedisServer
) -> None:
    key = issue_key(Role.VIEWER).key
    headers = {"X-API-Key": key}

    def hit(index: int) -> httpx.Response:
        return httpx.get(f"{two_gateways[index % 2]}/api/v1/echo", headers=headers, timeout=10)

    # Three times the quota, concurrently, alternating between the processes.
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(hit, range(3 * QUOTA)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * QUOTA + [429] * (2 * QUOTA)

    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/quota-exceeded")
    assert refused.headers["ratelimit-policy"] == f'"per-key";q={QUOTA};w=60'
    assert refused.headers["ratelimit"].startswith('"per-key";r=0;t=')
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    passed = [r for r in responses if r.status_code == 200]
    remaining = sorted(int(r.headers["ratelimit"].split("r=")[1].split(";")[0]) for r in passed)
    assert remaining == list(range(QUOTA))  # each passing request saw its own count

    # Redis gone: both processes still serve (fail open) and say so in /readyz.
    own_redis.stop()
    for index in range(4):
        assert hit(index).status_code == 200
    for url in two_gateways:
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["checks"]["redis"]["status"] == "unhealthy"


def test_failed_attempts_are_limited_per_address_and_never_lock_out_a_valid_key(
    two_gateways: list[str], issue_key: IssueKey
) -> None:
    def attempt(index: int, key: str, **headers: str) -> httpx.Response:
        return httpx.get(
            f"{two_gateways[index % 2]}/api/v1/echo", headers={"X-API-Key": key, **headers}
        )

    statuses = [attempt(i, generate_api_key()).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = attempt(0, "not-even-a-key")
    assert refused.status_code == 429
    assert refused.headers["ratelimit-policy"] == '"failed-auth-per-address";q=3;w=60'
    # Every other client behind the same address keeps working, admin or not, on
    # both processes, with keys neither process has seen before.
    admin, viewer = issue_key(Role.ADMIN).key, issue_key(Role.VIEWER).key
    for index, key in enumerate((admin, admin, viewer, viewer)):
        assert attempt(index, key).status_code == 200
    # A caller-supplied X-Forwarded-For is not believed (TRUSTED_PROXIES is empty):
    # fresh forwarded addresses do not buy fresh budgets.
    spoofed = [
        attempt(i, generate_api_key(), **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(3)
    ]
    assert spoofed == [429, 429, 429]

    # Past the ceiling (CEILING failures in the window), keys are no longer looked up
    # for this address unless the process has just seen them valid (its key cache).
    for index in range(CEILING):
        attempt(index, generate_api_key())
    cold = issue_key(Role.VIEWER).key
    assert attempt(0, cold).status_code == 429
    assert attempt(0, admin).status_code == 200  # cached by both processes above
    assert attempt(1, admin).status_code == 200


def test_trusted_proxies_decide_whose_forwarded_for_counts(
    start_gateway_process: Callable[..., str],
) -> None:
    base = start_gateway_process(TRUSTED_PROXIES="127.0.0.1")

    def attempt(forwarded_for: str) -> int:
        return httpx.get(
            f"{base}/api/v1/echo",
            headers={"X-API-Key": generate_api_key(), "X-Forwarded-For": forwarded_for},
        ).status_code

    # Behind a trusted proxy each forwarded client has a budget of its own...
    assert [attempt("198.51.100.7") for _ in range(4)] == [401, 401, 401, 429]
    assert attempt("198.51.100.8") == 401
    # ...and a chain is read from the right: the first address the proxy did not add.
    assert attempt("198.51.100.8, 127.0.0.1") == 401
    assert attempt("1.2.3.4, 198.51.100.7") == 429


async def test_unreachable_redis_fails_open_and_warns_once_per_interval() -> None:
    import structlog

    from orgair_gateway.rate_limit import RateLimiter, RateLimitPolicy

    now = [1000.0]
    limiter = RateLimiter.from_url(
        f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.2, clock=lambda: now[0]
    )
    policy = RateLimitPolicy("per-key", 5)
    with structlog.testing.capture_logs() as events:
        assert await limiter.hit(policy, "key:a") is None  # tried, failed: served anyway
        assert await limiter.hit(policy, "key:a") is None  # backing off: not even tried
        now[0] += 10  # past the back-off, within the warning interval
        assert await limiter.hit(policy, "key:a") is None
        assert not await limiter.is_exhausted(policy, "addr:x")
        now[0] += 120  # past the warning interval
        assert await limiter.hit(policy, "key:a") is None
    warnings = [e for e in events if e["event"] == "rate_limit_unavailable"]
    assert len(warnings) == 2
    assert limiter.last_error is not None
    await limiter.close()
