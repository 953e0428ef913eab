from __future__ import annotations

from collections.abc import Callable

import redis
from fastapi.testclient import TestClient

from orgair_config import Settings
from orgair_domain.jobs.queue import QUEUE
from orgair_scoring_api.app import create_app
from tests.support.servers import free_port


def test_probes_when_everything_is_up(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {name: c["status"] for name, c in ready.json()["checks"].items()} == {
        "database": "healthy", "redis": "healthy", "s3": "healthy", "job_queue": "healthy",
        "llm_budget": "healthy",
    }  # fmt: skip
    queue = ready.json()["checks"]["job_queue"]
    assert queue["required"] is False
    assert isinstance(queue["queue_depth"], int) and isinstance(queue["in_flight"], int)
    health = client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "healthy"
    assert body["version"] == "4.0.0"
    assert set(body["dependencies"]) == {"database", "redis", "s3", "job_queue", "llm_budget"}
    assert "timestamp" in body


def test_database_down_makes_it_unready_without_leaking_credentials(
    make_settings: Callable[..., Settings],
) -> None:
    password = "pg-password-do-not-leak"
    settings = make_settings(
        DATABASE_URL=f"postgresql+psycopg://orgair:{password}@127.0.0.1:{free_port()}/orgair",
        AWS_SECRET_ACCESS_KEY="aws-secret-do-not-leak",
    )
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        health = client.get("/health")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert ready.json()["checks"]["database"]["status"] == "unhealthy"
    assert "reason" in ready.json()["checks"]["database"]
    assert health.status_code == 503
    assert health.json()["dependencies"]["database"].startswith("unhealthy")
    for text in (ready.text, health.text):
        assert password not in text
        assert "aws-secret-do-not-leak" not in text


def test_s3_bucket_missing_is_reported(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(S3_BUCKET="no-such-bucket-here")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["dependencies"]["s3"].startswith("unhealthy")


def test_docs_only_in_debug(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings())) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
    with TestClient(create_app(make_settings(DEBUG=True))) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_queue_depth_counts_waiting_tasks(client: TestClient, settings: Settings) -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        broker.delete(QUEUE)
        broker.rpush(QUEUE, b"{}", b"{}", b"{}")
        depth = client.get("/readyz").json()["checks"]["job_queue"]["queue_depth"]
    finally:
        broker.delete(QUEUE)
        broker.close()
    assert depth == 3


def test_broker_down_keeps_scoring_ready(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/1")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["job_queue"]["status"] == "unhealthy"
