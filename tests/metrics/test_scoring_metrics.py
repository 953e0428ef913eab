"""`/metrics` of the scoring API: each metric moves when the thing it counts happens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.helpers import V1
from tests.api_v2.helpers import V2, company, score, submitted_assessment


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text: str = response.text
    return text


def test_http_metrics_use_route_templates(client: TestClient) -> None:
    subject = company(client)
    before = scrape(client)
    route = "/api/v1/companies/{company_id}"
    client.get(f"{V1}/companies/{subject['id']}")
    client.get(f"{V1}/companies/00000000-0000-0000-0000-000000000000")
    after = scrape(client)
    for status in ("200", "404"):
        delta = sample(after, "orgair_http_requests_total", route=route, status=status) - sample(
            before, "orgair_http_requests_total", route=route, status=status
        )
        assert delta == 1, status
    assert subject["id"] not in after  # raw paths never become labels
    duration_count = sample(
        after, "orgair_http_request_duration_seconds_count", route=route, method="GET"
    )
    assert duration_count >= 2


def test_cache_scores_and_reviews_metrics(client: TestClient) -> None:
    subject = company(client)
    before = scrape(client)
    client.get(f"{V1}/companies/{subject['id']}")  # miss
    client.get(f"{V1}/companies/{subject['id']}")  # hit
    score(client, submitted_assessment(client, subject["id"], 65)["id"])  # auto-approved
    pending = score(client, submitted_assessment(client, subject["id"], 10)["id"]).json()
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("orgair_cache_requests_total", result="hit") >= 1
    assert delta("orgair_cache_requests_total", result="miss") >= 1
    assert delta("orgair_scores_computed_total", source="api", review_status="auto_approved") == 1
    assert delta("orgair_scores_computed_total", source="api", review_status="pending_review") == 1
    assert sample(after, "orgair_reviews_pending") == 1
    client.post(f"{V2}/reviews/{pending['id']}/decision", json={"decision": "approve"})
    assert sample(scrape(client), "orgair_reviews_pending") == 0


def test_metrics_is_not_under_the_api(client: TestClient) -> None:
    # Scoring's port is internal; the gateway proxies /api/* only, so /metrics is never public.
    assert client.get(f"{V1}/metrics").status_code == 404


def test_jobs_by_state_are_read_from_the_database(client: TestClient) -> None:
    assert sample(scrape(client), "orgair_jobs", state="queued") == 0
    member = company(client)
    fund = client.post(
        f"{V2}/funds", json={"name": "Metrics Fund", "members": [{"company_id": member["id"]}]}
    ).json()
    # No worker runs here: the job stays queued.
    assert client.post(f"{V2}/funds/{fund['id']}/scoring-jobs").status_code == 202
    after = scrape(client)
    assert sample(after, "orgair_jobs", state="queued") == 1
    assert sample(after, "orgair_jobs", state="running") == 0
