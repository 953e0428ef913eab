"""The endpoints that need a model, up to the job they queue: refused with a problem
naming the reason (no provider key, budget spent or unknowable, nothing to justify,
a job already running), else 202 with the job; and the admins' usage report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_config import Settings
from orgair_database import Database
from orgair_llm import LedgerEntry, SqlLedgerSink
from tests.api.helpers import assert_problem
from tests.api_v2.helpers import V2, company, score, submitted_assessment
from tests.justifications.conftest import ClientWith
from tests.support.servers import free_port

PROBLEMS = "https://errors.pe-orgair.example/"


def scored_company(client: TestClient) -> tuple[str, str]:
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], 70)
    assert score(client, assessment["id"]).status_code == 201
    return subject["id"], assessment["id"]


def test_without_a_provider_key_both_answer_503_naming_the_settings(client: TestClient) -> None:
    company_id, assessment_id = scored_company(client)
    for url in (f"{V2}/assessments/{assessment_id}/justifications",
                f"{V2}/companies/{company_id}/ic-memo"):  # fmt: skip
        problem = assert_problem(client.post(url), 503)
        assert problem["type"] == PROBLEMS + "llm-not-configured"
        assert problem["missing_settings"] == ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
        assert "OPENAI_API_KEY" in problem["detail"] and "ANTHROPIC_API_KEY" in problem["detail"]
    # Everything else works: reads of what would be there, the evidence, the scores.
    listed = client.get(f"{V2}/assessments/{assessment_id}/justifications")
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert client.get(f"{V2}/companies/{company_id}/ic-memos").json()["items"] == []
    assert client.get("/readyz").json()["checks"]["llm_budget"]["status"] == "healthy"


def test_one_key_is_enough(client_with: ClientWith, llm_overrides: dict[str, Any]) -> None:
    anthropic_only = {k: v for k, v in llm_overrides.items() if not k.startswith("OPENAI")}
    client = client_with(**anthropic_only)
    _, assessment_id = scored_company(client)
    started = client.post(f"{V2}/assessments/{assessment_id}/justifications")
    assert started.status_code == 202, started.text


def test_a_justification_job_is_queued(
    client_with: ClientWith, llm_overrides: dict[str, Any], openai_server: object
) -> None:
    client = client_with(**llm_overrides)
    company_id, assessment_id = scored_company(client)
    url = f"{V2}/assessments/{assessment_id}/justifications"
    started = client.post(url)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == job["links"]["self"] == f"{V2}/jobs/{job['id']}"
    assert (job["kind"], job["state"], job["total"]) == ("justifications", "queued", 7)
    assert (job["assessment_id"], job["company_id"], job["fund_id"]) == (
        assessment_id, company_id, None,
    )  # fmt: skip
    assert job["links"]["result"] == f"{url}?job_id={job['id']}"
    assert job["links"]["report"] is None and job["profile"] is None
    assert client.get(job["links"]["self"]).json()["kind"] == "justifications"
    assert_problem(client.get(f"{job['links']['self']}/report"), 404)
    # One at a time per assessment.
    again = assert_problem(client.post(url), 409)
    assert again["job_id"] == job["id"]
    listed = client.get(url, params={"job_id": job["id"]}).json()
    assert listed["job_id"] == job["id"] and listed["items"] == []
    assert_problem(client.get(url, params={"job_id": str(uuid.uuid4())}), 404)
    memo = client.post(f"{V2}/companies/{company_id}/ic-memo")
    assert memo.status_code == 202, memo.text
    assert (memo.json()["kind"], memo.json()["total"]) == ("ic_memo", 1)
    assert memo.json()["links"]["result"] is None  # until the memo is written
    assert_problem(client.post(f"{V2}/companies/{company_id}/ic-memo"), 409)


def test_what_cannot_be_justified_or_drafted(
    client_with: ClientWith, llm_overrides: dict[str, Any]
) -> None:
    client = client_with(**llm_overrides)
    subject = company(client)
    bare = client.post(
        "/api/v1/assessments",
        json={"company_id": subject["id"], "assessment_type": "screening"},
    ).json()
    problem = assert_problem(client.post(f"{V2}/assessments/{bare['id']}/justifications"), 422)
    assert problem["type"] == PROBLEMS + "no-dimension-scores"
    unscored = assert_problem(client.post(f"{V2}/companies/{subject['id']}/ic-memo"), 422)
    assert unscored["type"] == PROBLEMS + "company-not-scored"
    missing = uuid.uuid4()
    assert_problem(client.post(f"{V2}/assessments/{missing}/justifications"), 404)
    assert_problem(client.post(f"{V2}/companies/{missing}/ic-memo"), 404)
    assert_problem(client.get(f"{V2}/ic-memos/{missing}"), 404)


def test_spent_budget_is_503_with_retry_after(
    client_with: ClientWith, llm_overrides: dict[str, Any]
) -> None:
    client = client_with(DAILY_COST_BUDGET_USD=0, **llm_overrides)
    company_id, assessment_id = scored_company(client)
    for url in (f"{V2}/assessments/{assessment_id}/justifications",
                f"{V2}/companies/{company_id}/ic-memo"):  # fmt: skip
        response = client.post(url)
        problem = assert_problem(response, 503)
        assert problem["type"] == PROBLEMS + "budget-exhausted"
        retry_after = int(response.headers["retry-after"])
        now = datetime.now(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        assert 0 < retry_after <= (midnight - now).total_seconds() + 2
        assert problem["day"] == now.date().isoformat()
    budget = client.get("/readyz").json()["checks"]["llm_budget"]
    assert budget["budget_usd"] == 0 and budget["alert"] is True


def test_unknowable_budget_is_503(
    client_with: ClientWith, llm_overrides: dict[str, Any], migrated: Settings
) -> None:
    client = client_with(**llm_overrides)
    _, assessment_id = scored_company(client)
    blind = client_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", **llm_overrides)
    problem = assert_problem(blind.post(f"{V2}/assessments/{assessment_id}/justifications"), 503)
    assert problem["type"] == PROBLEMS + "budget-unavailable"
    assert "cannot be checked" in problem["detail"]
    assert blind.get("/readyz").json()["checks"]["llm_budget"]["status"] == "unhealthy"


def test_roles(client_with: ClientWith, llm_overrides: dict[str, Any]) -> None:
    admin = client_with(**llm_overrides)
    company_id, assessment_id = scored_company(admin)
    viewer = client_with(Role.VIEWER, **llm_overrides)
    analyst = client_with(Role.ANALYST, **llm_overrides)
    assert_problem(viewer.post(f"{V2}/assessments/{assessment_id}/justifications"), 403)
    assert_problem(viewer.post(f"{V2}/companies/{company_id}/ic-memo"), 403)
    assert viewer.get(f"{V2}/assessments/{assessment_id}/justifications").status_code == 200
    assert analyst.post(f"{V2}/assessments/{assessment_id}/justifications").status_code == 202
    assert_problem(analyst.get(f"{V2}/llm/usage"), 403)


def entry(day: date, *, model: str, purpose: str, cost: int, outcome: str = "ok") -> LedgerEntry:
    return LedgerEntry(
        id=uuid.uuid4(), call_id=uuid.uuid4(),
        created_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=3),
        purpose=purpose, provider="openai" if model.startswith("gpt") else "anthropic",
        model=model, attempt=1, outcome=outcome,  # type: ignore[arg-type]
        fallback_used=not model.startswith("gpt"), input_tokens=100, output_tokens=10,
        cost_micros=cost, reserved_micros=cost, latency_ms=5, correlation_id=None,
    )  # fmt: skip


def test_usage_by_model_and_purpose_for_admins(client: TestClient, migrated: Settings) -> None:
    database = Database.from_settings(migrated)
    sink = SqlLedgerSink(database)
    today, yesterday = datetime.now(UTC).date(), datetime.now(UTC).date() - timedelta(days=1)
    for item in (
        entry(today, model="gpt-4o-2024-08-06", purpose="justification", cost=1_234),
        entry(today, model="gpt-4o-2024-08-06", purpose="justification", cost=0,
              outcome="rate_limited"),
        entry(today, model="claude-sonnet-4-20250514", purpose="justification", cost=5_000),
        entry(today, model="gpt-4o-2024-08-06", purpose="ic_memo", cost=10_001),
        entry(yesterday, model="gpt-4o-2024-08-06", purpose="ic_memo", cost=999_999),
    ):  # fmt: skip
        sink.record(item)
    database.dispose()
    report = client.get(f"{V2}/llm/usage").json()
    assert report["day"] == today.isoformat()
    lines = {(line["model"], line["purpose"]): line for line in report["items"]}
    assert set(lines) == {("gpt-4o-2024-08-06", "justification"),
                          ("claude-sonnet-4-20250514", "justification"),
                          ("gpt-4o-2024-08-06", "ic_memo")}  # fmt: skip
    gpt = lines[("gpt-4o-2024-08-06", "justification")]
    assert (gpt["attempts"], gpt["succeeded"], gpt["cost_usd"]) == (2, 1, 0.001234)
    assert report["total"]["cost_usd"] == 0.016235 and report["total"]["attempts"] == 4
    assert report["items"][0]["purpose"] == "ic_memo"  # costliest first
    old = client.get(f"{V2}/llm/usage", params={"day": yesterday.isoformat()}).json()
    assert old["total"]["cost_usd"] == 0.999999
    assert_problem(client.get(f"{V2}/llm/usage", params={"day": "tomorrow"}), 422)
