"""Cached reads answered on the event loop: same bytes as a loaded answer, no thread-pool
hop and no database on a hit, and the sessions of other endpoints always given back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
import redis
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_scoring_api.dependencies import Resources
from tests.api.helpers import MANUFACTURING, V1, create_assessment, create_company


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every function the app sends to a worker thread, by name."""
    hops: list[str] = []
    original = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        target = getattr(func, "func", func)  # starlette wraps calls in functools.partial
        hops.append(getattr(target, "__qualname__", repr(target)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    yield hops


def resources_of(client: TestClient) -> Resources:
    resources: Resources = client.app.state.resources  # type: ignore[attr-defined]
    return resources


def reads(client: TestClient) -> dict[str, str]:
    # Characters JSON encoders treat differently (non-ASCII, astral); a line separator
    # (U+2028) would be the sharpest, but names refuse it now (orgair_database.values).
    company = create_company(client, name="Zürich “AI” 🚀 Co", position_factor=1e-05)
    assessment = create_assessment(client, company["id"])
    return {
        "company": f"{V1}/companies/{company['id']}",
        "assessment": f"{V1}/assessments/{assessment['id']}",
        "industry": f"{V1}/industries/{MANUFACTURING}",
        "industries": f"{V1}/industries",
    }


def test_a_hit_sends_the_bytes_a_loaded_answer_has(
    client: TestClient, redis_client: redis.Redis
) -> None:
    for name, url in reads(client).items():
        loaded = client.get(url)
        cached = client.get(url)
        assert loaded.status_code == cached.status_code == 200, name
        assert cached.content == loaded.content, name
        assert cached.headers["content-type"] == loaded.headers["content-type"], name
        assert cached.headers["content-length"] == loaded.headers["content-length"], name


def test_assessment_hit_keeps_the_deprecation_headers(client: TestClient) -> None:
    url = reads(client)["assessment"]
    loaded, cached = client.get(url), client.get(url)
    for response in (loaded, cached):
        assert response.headers["deprecation"] == "true"
        assert response.headers["link"].endswith('; rel="successor-version"')
    assert cached.headers["link"] == loaded.headers["link"]


def test_a_hit_uses_neither_the_thread_pool_nor_the_database(
    client: TestClient, thread_hops: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = reads(client)
    for url in urls.values():
        assert client.get(url).status_code == 200  # loaded, cached

    def no_database() -> None:
        raise AssertionError("a cache hit opened a database session")

    database = resources_of(client).database
    monkeypatch.setattr(database, "sessions", no_database)
    thread_hops.clear()
    for name, url in urls.items():
        assert client.get(url).status_code == 200, name
    assert thread_hops == []


def test_a_miss_loads_in_the_thread_pool_and_fills_the_cache(
    client: TestClient, redis_client: redis.Redis, thread_hops: list[str]
) -> None:
    url = reads(client)["company"]
    redis_client.flushdb()
    thread_hops.clear()

    assert client.get(url).status_code == 200
    assert thread_hops == ["Cache.load_and_store"]
    assert client.get(url).json() == client.get(url).json()


def test_a_missing_resource_is_still_a_404_and_not_cached(
    client: TestClient, redis_client: redis.Redis
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in ("companies", "assessments", "industries"):
        response = client.get(f"{V1}/{path}/{missing}")
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert redis_client.keys("orgair:cache:v1:*") == []


def test_every_session_gives_its_connection_back(client: TestClient) -> None:
    company = create_company(client)
    create_assessment(client, company["id"])
    for url in (f"{V1}/companies", f"{V1}/assessments", f"{V1}/companies/{company['id']}"):
        assert client.get(url).status_code == 200
    assert (
        client.put(f"{V1}/companies/{company['id']}", json={"name": "Renamed"}).status_code == 200
    )
    assert client.put(f"{V1}/companies/{company['id']}", json={"ticker": "!"}).status_code == 422

    pool = resources_of(client).database.engine.pool
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_async_read_replays_missed_invalidations_first(redis_server: Any) -> None:
    import redis.asyncio as aioredis

    from orgair_cache import Cache
    from tests.support.servers import free_port

    stale = redis.Redis.from_url(redis_server.url_for(3))
    stale.set("orgair:cache:v1:company:x", b'{"name":"stale"}')
    # The sync client cannot reach Redis, so the invalidation is kept for later...
    unreachable = redis.Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/3", socket_connect_timeout=0.2
    )
    reachable = aioredis.Redis.from_url(redis_server.url_for(3))
    results: list[str] = []
    cache = Cache(unreachable, async_client=reachable, retry_after=0.0, on_read=results.append)
    cache.invalidate("orgair:cache:v1:company:x")
    try:
        # ...and the next read, here on the event loop, delivers it before reading.
        assert await cache.aget_raw("orgair:cache:v1:company:x") is None
        assert stale.get("orgair:cache:v1:company:x") is None
        stale.set("orgair:cache:v1:company:y", b'{"name":"fresh"}')
        assert await cache.aget_raw("orgair:cache:v1:company:y") == b'{"name":"fresh"}'
        assert results == ["miss", "hit"]
    finally:
        await cache.aclose()
        stale.flushdb()
        stale.close()


async def test_async_read_fails_open_and_backs_off() -> None:
    import redis.asyncio as aioredis

    from orgair_cache import Cache
    from tests.support.servers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    unreachable = aioredis.Redis.from_url(url, socket_connect_timeout=0.2)
    tried: list[str] = []
    original_get = unreachable.get

    async def counting_get(key: str) -> Any:
        tried.append(key)
        return await original_get(key)

    unreachable.get = counting_get  # type: ignore[method-assign,assignment]
    cache = Cache(redis.Redis.from_url(url), async_client=unreachable, retry_after=30.0)
    try:
        assert await cache.aget_raw("k") is None  # unreachable: a miss, not an error
        assert not cache.available
        assert await cache.aget_raw("k") is None  # backing off: not even tried
        assert tried == ["k"]
        assert (cache.hits, cache.misses) == (0, 2)
    finally:
        await cache.aclose()


def test_a_client_on_another_event_loop_reads_through_the_sync_client(
    client: TestClient,
) -> None:
    """A TestClient used without `with` runs each request on a new event loop; the async
    Redis connections belong to the lifespan's loop, so those reads take the sync way."""
    from tests.conftest import GatewayIdentityAuth

    url = reads(client)["company"]
    expected = client.get(url).content
    other = TestClient(client.app, raise_server_exceptions=False)
    other.auth = GatewayIdentityAuth(Role.VIEWER)
    for _ in range(3):
        response = other.get(url)
        assert response.status_code == 200
        assert response.content == expected
    assert client.get(url).content == expected  # and the lifespan's loop still reads
