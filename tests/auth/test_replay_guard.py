"""Single-use nonces in a real Redis, shared by replicas; per replica while Redis is down."""

from __future__ import annotations

import time
import uuid

import redis

from orgair_auth import ReplayGuard
from orgair_auth.replay import NAMESPACE
from tests.support.servers import RedisServer, free_port


def nonce() -> str:
    return uuid.uuid4().hex


async def test_a_nonce_is_accepted_once_by_every_replica(redis_server: RedisServer) -> None:
    first, second = ReplayGuard(redis_server.url_for(0)), ReplayGuard(redis_server.url_for(0))
    used = nonce()
    valid_until = time.time() + 30
    assert await first.first_use(used, valid_until)
    assert not await first.first_use(used, valid_until)
    assert not await second.first_use(used, valid_until)  # another replica, same Redis
    assert await second.first_use(nonce(), valid_until)
    await first.close()
    await second.close()


async def test_a_nonce_is_remembered_only_until_its_signature_expires(
    redis_server: RedisServer,
) -> None:
    guard = ReplayGuard(redis_server.url_for(0))
    used = nonce()
    assert await guard.first_use(used, time.time() + 30)
    ttl = redis.Redis.from_url(redis_server.url_for(0)).pttl(f"{NAMESPACE}:{used}")
    # Until the end of the skew window (plus a second's margin), no longer.
    assert 29_000 < ttl <= 31_000
    await guard.close()


async def test_redis_down_means_this_replica_remembers() -> None:
    import structlog

    now = [1000.0]
    guard = ReplayGuard(
        f"redis://127.0.0.1:{free_port()}/0",
        timeout_seconds=0.2,
        monotonic=lambda: now[0],
        local_capacity=3,
    )
    used = nonce()
    valid_until = time.time() + 30
    with structlog.testing.capture_logs() as events:
        assert await guard.first_use(used, valid_until)  # Redis tried, failed: kept locally
        assert not await guard.first_use(used, valid_until)  # a replay, refused
        now[0] += 10
        assert await guard.first_use(nonce(), valid_until)
    assert guard.last_error is not None
    assert sum(e["event"] == "replay_guard_degraded" for e in events) == 1
    # Bounded: the oldest nonces go first.
    for _ in range(3):
        assert await guard.first_use(nonce(), valid_until)
    assert await guard.first_use(used, valid_until)
    # Expired nonces are dropped: a signature that old would be refused as stale.
    expired = nonce()
    assert await guard.first_use(expired, time.time() - 1)
    assert await guard.first_use(expired, time.time() - 1)
    await guard.close()


async def test_concurrent_claims_share_a_round_trip_and_stay_exact(
    redis_server: RedisServer,
) -> None:
    import asyncio

    guard = ReplayGuard(redis_server.url_for(0))
    distinct = [nonce() for _ in range(20)]
    claims = [n for n in distinct for _ in range(3)]  # each one three times, together
    valid_until = time.time() + 30
    results = await asyncio.gather(*(guard.first_use(n, valid_until) for n in claims))
    firsts = [n for n, first in zip(claims, results, strict=True) if first]
    assert sorted(firsts) == sorted(distinct)
    await guard.close()
