"""Fund scoring jobs through the API alone (no worker runs here): creation and the
Idempotency-Key, one active job per fund, cancellation, reports, errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import cast

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from orgair_config import Settings
from orgair_domain.jobs.events import stream_key
from orgair_domain.jobs.queue import QUEUE
from orgair_scoring_api.app import create_app
from tests.api.helpers import assert_problem
from tests.api_v2.helpers import V2, company
from tests.conftest import signed_client
from tests.support.servers import free_port


@pytest.fixture
def broker(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()


def fund_with_members(client: TestClient, count: int = 2) -> str:
    members = [{"company_id": company(client, name=f"Member {i}")["id"]} for i in range(count)]
    response = client.post(f"{V2}/funds", json={"name": "Jobs Fund", "members": members})
    assert response.status_code == 201, response.text
    fund_id: str = response.json()["id"]
    return fund_id


def test_a_job_is_recorded_queued_and_its_first_task_published(
    client: TestClient, broker: redis.Redis
) -> None:
    fund_id = fund_with_members(client, 3)
    response = client.post(f"{V2}/funds/{fund_id}/scoring-jobs", json={"profile": "v1.0"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"{V2}/jobs/{job['id']}" == job["links"]["self"]
    assert "idempotent-replayed" not in response.headers
    assert (job["state"], job["total"], job["done"], job["profile"]) == ("queued", 3, 0, "v1.0")
    assert job["created_by"] == "test-admin-key" and job["errors"] == []
    assert broker.llen(QUEUE) == 1
    message = orjson.loads(cast(bytes, broker.lindex(QUEUE, 0)))
    assert message["headers"]["task"] == "orgair.fund_jobs.start"
    assert message["headers"]["orgair_correlation_id"] == response.headers["x-correlation-id"]
    assert client.get(f"{V2}/jobs/{job['id']}").json()["state"] == "queued"
    listed = client.get(f"{V2}/funds/{fund_id}/scoring-jobs").json()
    assert [item["id"] for item in listed["items"]] == [job["id"]]


def test_idempotency_key_replays_without_publishing_again(
    client: TestClient, broker: redis.Redis
) -> None:
    fund_id = fund_with_members(client)
    url = f"{V2}/funds/{fund_id}/scoring-jobs"
    first = client.post(url, headers={"Idempotency-Key": "key-1"})
    replay = client.post(url, headers={"Idempotency-Key": "key-1"})
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert broker.llen(QUEUE) == 1
    assert_problem(client.post(url, headers={"Idempotency-Key": "bad key with spaces"}), 400)
    other_profile = client.post(url, headers={"Idempotency-Key": "key-1"}, json={"profile": "v1.0"})
    assert assert_problem(other_profile, 422)["job_id"] == first.json()["id"]


def test_one_active_job_per_fund_and_cancellation(
    client: TestClient, broker: redis.Redis, redis_client: redis.Redis
) -> None:
    fund_id = fund_with_members(client)
    url = f"{V2}/funds/{fund_id}/scoring-jobs"
    job = client.post(url).json()
    busy = assert_problem(client.post(url), 409)
    assert busy["job_id"] == job["id"]
    assert_problem(client.delete(f"{V2}/funds/{fund_id}"), 409)
    assert_problem(client.get(f"{V2}/jobs/{job['id']}/report"), 409)

    cancelled = client.delete(f"{V2}/jobs/{job['id']}")
    assert cancelled.status_code == 200
    assert (cancelled.json()["state"], cancelled.json()["cancelled_by"]) == (
        "cancelled", "test-admin-key"
    )  # fmt: skip
    assert cancelled.json()["finished_at"] is not None
    assert client.delete(f"{V2}/jobs/{job['id']}").json()["state"] == "cancelled"
    # The stream got its final event, so clients following it stop.
    entries = cast(
        list[tuple[bytes, dict[bytes, bytes]]],
        redis_client.xrange(stream_key(uuid.UUID(job["id"]))),
    )
    assert [fields[b"event"] for _, fields in entries] == [b"completed"]
    events = client.get(f"{V2}/jobs/{job['id']}/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert "event: completed" in events.text and '"state":"cancelled"' in events.text
    # The fund is free for a new job.
    assert client.post(url).status_code == 202


def test_unknown_jobs_and_funds(client: TestClient) -> None:
    missing = uuid.uuid4()
    assert_problem(client.post(f"{V2}/funds/{missing}/scoring-jobs"), 404)
    for method, path in (("GET", ""), ("DELETE", ""), ("GET", "/report"), ("GET", "/events")):
        assert_problem(client.request(method, f"{V2}/jobs/{missing}{path}"), 404)
    fund_id = fund_with_members(client)
    unknown_profile = client.post(f"{V2}/funds/{fund_id}/scoring-jobs", json={"profile": "v9"})
    assert_problem(unknown_profile, 422)


def test_broker_down_answers_503_and_the_retry_with_the_same_key_publishes(
    client: TestClient, broker: redis.Redis, make_settings: Callable[..., Settings]
) -> None:
    fund_id = fund_with_members(client)
    url = f"{V2}/funds/{fund_id}/scoring-jobs"
    settings = client.app.state.resources.settings  # type: ignore[attr-defined]
    no_broker = make_settings(
        DATABASE_URL=settings.DATABASE_URL.get_secret_value(),
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/1",
    )
    with signed_client(create_app(no_broker), raise_server_exceptions=False) as cut_off:
        refused = cut_off.post(url, headers={"Idempotency-Key": "through-an-outage"})
    body = assert_problem(refused, 503)
    assert refused.headers["retry-after"] == "5"
    assert client.get(f"{V2}/jobs/{body['job_id']}").json()["state"] == "queued"
    assert broker.llen(QUEUE) == 0

    retried = client.post(url, headers={"Idempotency-Key": "through-an-outage"})
    assert retried.status_code == 202 and retried.json()["id"] == body["job_id"]
    assert broker.llen(QUEUE) == 1
