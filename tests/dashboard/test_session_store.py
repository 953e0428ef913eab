"""Dashboard sessions in a real Redis: life, idle time, sign-out, notices, Redis down."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aioredis

from orgair_auth import ApiKeyRecord, Role
from orgair_cli.devstack import free_port
from orgair_database import utcnow
from orgair_gateway.dashboard.sessions import Notice, SessionStore, SessionsUnavailable
from tests.support.servers import RedisServer

DB = 6


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sync_redis(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url_for(DB))
    client.flushdb()
    yield client
    client.close()


def record() -> ApiKeyRecord:
    return ApiKeyRecord(uuid.uuid4(), "Dana", Role.ANALYST, "abcd", utcnow(), None, None)


def store(redis_server: RedisServer, clock: Clock, **limits: int) -> SessionStore:
    client = aioredis.Redis.from_url(redis_server.url_for(DB))
    return SessionStore(
        client,
        lifetime_seconds=limits.get("lifetime", 3600),
        idle_seconds=limits.get("idle", 600),
        clock=clock,
    )


def test_a_session_lives_until_its_end_and_is_kept_by_the_tokens_hash(
    redis_server: RedisServer, sync_redis: redis.Redis
) -> None:
    clock = Clock()

    async def scenario() -> None:
        sessions = store(redis_server, clock, lifetime=3600, idle=600)
        token, session = await sessions.create(record())
        assert len(token) == 43 and session.csrf_token != token
        keys = [key.decode() if isinstance(key, bytes) else key for key in sync_redis.keys("*")]
        assert keys == [f"orgair:dashboard:v1:session:{hashlib.sha256(token.encode()).hexdigest()}"]
        assert token not in sync_redis.get(keys[0]).decode()  # type: ignore[union-attr]
        assert 590 <= sync_redis.ttl(keys[0]) <= 600  # the idle time, renewed on use
        assert await sessions.load(token) == session
        clock.now += 3599
        assert await sessions.load(token) == session
        clock.now += 2  # past the session's whole life, however recently used
        assert await sessions.load(token) is None
        assert sync_redis.keys("*") == []
        assert await sessions.load("not-a-token") is None
        await sessions.close()

    asyncio.run(scenario())


def test_an_unused_session_ends_after_the_idle_time(
    redis_server: RedisServer, sync_redis: redis.Redis
) -> None:
    async def scenario() -> None:
        sessions = store(redis_server, Clock(), lifetime=3600, idle=1)
        token, _ = await sessions.create(record())
        await asyncio.sleep(1.3)
        assert await sessions.load(token) is None
        await sessions.close()

    asyncio.run(scenario())


def test_ending_a_session_and_its_notices(
    redis_server: RedisServer, sync_redis: redis.Redis
) -> None:
    async def scenario() -> None:
        sessions = store(redis_server, Clock())
        token, _ = await sessions.create(record())
        await sessions.add_notice(token, Notice("success", "Job started"))
        await sessions.add_notice(token, Notice("error", "Not recorded"))
        assert await sessions.take_notices(token) == [
            Notice("success", "Job started"),
            Notice("error", "Not recorded"),
        ]
        assert await sessions.take_notices(token) == []  # each is shown once
        await sessions.add_notice(token, Notice("success", "Again"))
        await sessions.end(token)
        assert await sessions.load(token) is None
        assert sync_redis.keys("*") == []
        await sessions.close()

    asyncio.run(scenario())


def test_without_redis_no_session_is_created_or_trusted() -> None:
    async def scenario() -> None:
        sessions = SessionStore.from_url(
            f"redis://127.0.0.1:{free_port()}/0",
            timeout_seconds=0.2,
            lifetime_seconds=3600,
            idle_seconds=600,
        )
        with pytest.raises(SessionsUnavailable):
            await sessions.create(record())
        with pytest.raises(SessionsUnavailable):
            await sessions.load("A" * 43)
        await sessions.close()

    asyncio.run(scenario())
