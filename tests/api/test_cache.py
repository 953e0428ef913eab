"""Cache-aside against a real Redis: hits, TTLs, invalidation, and outages."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import cast

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from orgair_config import Settings
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_scoring_api.app import create_app
from tests.api.helpers import (
    MANUFACTURING,
    TECHNOLOGY,
    V1,
    create_assessment,
    create_company,
)
from tests.conftest import signed_client
from tests.support.servers import RedisServer, running_redis

NAMESPACE = "orgair:cache:v1"


def keys(redis_client: redis.Redis, pattern: str) -> list[str]:
    found = cast(list[bytes], redis_client.keys(f"{NAMESPACE}:{pattern}"))
    return sorted(k.decode() for k in found)


def sql(settings: Settings, statement: str, **params: object) -> None:
    """Change a row behind the API's back, to tell cached answers from fresh ones."""
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text(statement), params)
    engine.dispose()


def test_company_read_is_served_from_cache(
    client: TestClient, migrated: Settings, redis_client: redis.Redis
) -> None:
    company = create_company(client, name="Cached Co")
    assert keys(redis_client, "company:*") == []  # writes do not fill the cache
    client.get(f"{V1}/companies/{company['id']}")
    assert keys(redis_client, "company:*") == [f"{NAMESPACE}:company:{company['id']}"]
    sql(migrated, "UPDATE companies SET name = 'Changed Behind' WHERE id = :id", id=company["id"])
    assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "Cached Co"
    redis_client.flushdb()
    assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "Changed Behind"


def test_ttls_follow_the_contract(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(CACHE_TTL_SECTORS=4321, CACHE_TTL_SCORES=1234)
    upgrade(settings.database_url)
    seed(settings)
    with signed_client(create_app(settings)) as client:
        company = create_company(client)
        assessment = create_assessment(client, company["id"])
        client.get(f"{V1}/companies/{company['id']}")
        client.get(f"{V1}/assessments/{assessment['id']}")
        client.get(f"{V1}/assessments/{assessment['id']}/scores")
        client.get(f"{V1}/industries/{MANUFACTURING}")
        client.get(f"{V1}/industries")
        client.get(f"{V1}/dimensions/weights")
    expected = {
        f"company:{company['id']}": 300,
        f"assessment:{assessment['id']}": 120,
        f"assessment:{assessment['id']}:dimension_scores": 1234,
        f"industry:{MANUFACTURING}": 3600,
        "industries": 4321,
    }
    for suffix, ttl in expected.items():
        remaining = redis_client.ttl(f"{NAMESPACE}:{suffix}")
        assert ttl - 5 <= remaining <= ttl, (suffix, remaining)
    [weights_key] = keys(redis_client, "weights:*")
    assert 86400 - 5 <= redis_client.ttl(weights_key) <= 86400


def test_every_write_invalidates_what_it_changed(
    client: TestClient, redis_client: redis.Redis
) -> None:
    company = create_company(client)
    assessment = create_assessment(client, company["id"])
    company_url = f"{V1}/companies/{company['id']}"
    assessment_url = f"{V1}/assessments/{assessment['id']}"
    scores_url = f"{assessment_url}/scores"

    client.get(company_url)
    client.put(company_url, json={"name": "Renamed", "industry_id": TECHNOLOGY})
    assert client.get(company_url).json()["name"] == "Renamed"

    client.get(assessment_url)
    client.patch(f"{assessment_url}/status", json={"status": "in_progress"})
    assert client.get(assessment_url).json()["status"] == "in_progress"

    assert client.get(scores_url).json() == []
    created = client.post(
        scores_url, json={"scores": [{"dimension": "culture_change", "score": 30}]}
    )
    assert [row["score"] for row in client.get(scores_url).json()] == [30]
    client.put(f"{V1}/scores/{created.json()[0]['id']}", json={"score": 31})
    assert [row["score"] for row in client.get(scores_url).json()] == [31]

    client.delete(company_url)
    assert client.get(company_url).status_code == 404
    assert keys(redis_client, f"company:{company['id']}") == []


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, which it may stop or freeze."""
    with running_redis(name="redis-outage") as server:
        yield server


def test_answers_stay_correct_with_redis_stopped(
    make_settings: Callable[..., Settings], own_redis: RedisServer
) -> None:
    settings = make_settings(REDIS_URL=own_redis.url)
    upgrade(settings.database_url)
    seed(settings)
    with signed_client(create_app(settings)) as client:
        company = create_company(client)
        assert client.get(f"{V1}/companies/{company['id']}").status_code == 200  # cached
        own_redis.stop()
        started = time.perf_counter()
        response = client.put(f"{V1}/companies/{company['id']}", json={"name": "While Down"})
        assert response.status_code == 200
        assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "While Down"
        assessment = create_assessment(client, company["id"])
        scores = client.post(
            f"{V1}/assessments/{assessment['id']}/scores",
            json={"scores": [{"dimension": "ai_governance", "score": 77}]},
        )
        assert scores.status_code == 201
        assert client.get(f"{V1}/assessments/{assessment['id']}/scores").json()[0]["score"] == 77
        assert len(client.get(f"{V1}/industries").json()) == 8
        assert client.get(f"{V1}/companies").json()["total"] == 1
        # One short timeout per back-off interval, not one per request.
        assert time.perf_counter() - started < 5
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["redis"]["status"] == "unhealthy"
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"


def test_invalidation_missed_during_an_outage_is_replayed(
    make_settings: Callable[..., Settings], own_redis: RedisServer
) -> None:
    settings = make_settings(REDIS_URL=own_redis.url)
    upgrade(settings.database_url)
    seed(settings)
    pid = own_redis.group.running[0].process.pid
    with signed_client(create_app(settings)) as client:
        company = create_company(client, name="Before")
        client.get(f"{V1}/companies/{company['id']}")  # cached as "Before"
        os.kill(pid, signal.SIGSTOP)  # Redis hangs but keeps its data
        try:
            response = client.put(f"{V1}/companies/{company['id']}", json={"name": "After"})
            assert response.status_code == 200
            assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "After"
        finally:
            os.kill(pid, signal.SIGCONT)
        time.sleep(5.5)  # the cache's back-off interval
        # The stale "Before" is still in Redis; the replayed invalidation must remove it.
        assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "After"
