"""Fund scoring jobs end to end: the scoring API on a real port, real worker processes,
Redis, the S3 server. One worker serves the whole module."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from typing import Any

import httpx
import pytest

from orgair_cli.devstack import RunningProcess
from orgair_domain.scores.review_gate import review_gate
from orgair_scoring import CompanyInputs, ScoringParameters, score_company
from tests.api.helpers import V1
from tests.api_v2.helpers import score, submitted_assessment
from tests.worker.conftest import V2, JobStack
from tests.worker.sse import event_position, read_stream

# Within-sector quartile cut-offs (q1, q2, q3) of the issue, written out again here so
# that the summary is checked against an independent computation.
CUTOFFS = {
    "technology": (75, 65, 55), "healthcare": (70, 58, 48), "financial_services": (72, 60, 50),
    "manufacturing": (68, 55, 45), "retail": (65, 52, 42), "energy": (60, 48, 38),
}  # fmt: skip
OTHER_CUTOFFS = (65, 55, 45)


@pytest.fixture(scope="module")
def worker(job_stack: JobStack) -> RunningProcess:
    return job_stack.start_worker("worker")


def start_job(stack: JobStack, fund_id: str, **headers: str) -> dict[str, Any]:
    response = stack.api.post(f"{V2}/funds/{fund_id}/scoring-jobs", headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{V2}/jobs/{body['id']}"
    return body


def quartile(sector: str, org_air: float) -> str:
    q1, q2, q3 = CUTOFFS.get(sector, OTHER_CUTOFFS)
    return "Q1" if org_air >= q1 else "Q2" if org_air >= q2 else "Q3" if org_air >= q3 else "Q4"


def download(stack: JobStack, job_id: str, report_format: str) -> bytes:
    link = stack.api.get(f"{V2}/jobs/{job_id}/report", params={"format": report_format})
    assert link.status_code == 200, link.text
    assert 0 < link.json()["expires_in"] <= 3600
    response = httpx.get(link.json()["url"], timeout=10)
    assert response.status_code == 200
    return response.content


def test_fund_of_200_is_scored_once_with_summary_and_report(
    job_stack: JobStack, worker: RunningProcess
) -> None:
    companies = job_stack.seed_companies(200, name_prefix="Fund200")
    rng = random.Random(200)
    ev = {
        str(c.company_id): None if index % 9 == 0 else round(rng.uniform(1e6, 5e8), 2)
        for index, c in enumerate(companies)
    }
    sector = {str(c.company_id): c.sector for c in companies}
    fund_id = job_stack.create_fund(
        [{"company_id": company, "ev_usd": value} for company, value in ev.items()]
    )
    job = job_stack.wait_until_finished(start_job(job_stack, fund_id)["id"])
    job_id = job["id"]
    assert (job["state"], job["total"], job["scored"], job["failed"]) == (
        "succeeded", 200, 200, 0
    )  # fmt: skip
    assert job["errors"] == [] and job["error"] is None

    # Every member scored exactly once, with the engine's numbers and the review gate.
    rows = job_stack.job_scores(job_id)
    assert sorted(str(row.company_id) for row in rows) == sorted(ev)
    assert job_stack.score_rows_per_company(list(ev)) == dict.fromkeys(ev, 1)
    params = ScoringParameters.model_validate(
        job_stack.api.get(f"{V2}/parameters/v2.0").json()["parameters"]
    )
    threshold = job_stack.settings.HITL_SCORE_CHANGE_THRESHOLD
    for row in rows:
        expected = score_company(CompanyInputs.model_validate_json(row.inputs), params)
        assert row.org_air == pytest.approx(expected.org_air, abs=1e-9)
        assert (
            row.review_status == review_gate(row.org_air, None, change_threshold=threshold).status
        )
        assert (row.approved_at is not None) == (row.review_status == "auto_approved")

    # The summary, against a direct computation over the current approved scores.
    current = {str(r.company_id): r.org_air for r in rows if r.review_status == "auto_approved"}
    weight = {company: 100.0 if value is None else value for company, value in ev.items()}
    summary = job_stack.api.get(f"{V2}/funds/{fund_id}/summary").json()
    expected_air = sum(weight[c] * s for c, s in current.items()) / sum(weight[c] for c in current)
    assert summary["fund_air"] == pytest.approx(expected_air, rel=1e-12)
    assert (summary["member_count"], summary["scored_count"], summary["unscored_count"]) == (
        200, len(current), 200 - len(current)
    )  # fmt: skip
    assert {m["company_id"] for m in summary["leaders"]} == {
        c for c, s in current.items() if s >= 70
    }
    assert {m["company_id"] for m in summary["laggards"]} == {
        c for c, s in current.items() if s < 50
    }
    assert {m["company_id"] for m in summary["unscored"]} == set(ev) - set(current)
    by_sector: dict[str, float] = {}
    for company, value in weight.items():
        by_sector[sector[company]] = by_sector.get(sector[company], 0.0) + value
    total_weight = sum(by_sector.values())
    assert summary["sector_hhi"] == pytest.approx(
        sum((value / total_weight) ** 2 for value in by_sector.values()), rel=1e-12
    )
    for member in summary["members"]:
        company = member["company_id"]
        assert member["org_air"] == current.get(company)
        assert member["sector_quartile"] == (
            quartile(sector[company], current[company]) if company in current else None
        )

    # The report objects, at the keys the issue names, with one row per company.
    assert job["report"] == {
        "json_key": f"reports/funds/{fund_id}/{job_id}.json",
        "csv_key": f"reports/funds/{fund_id}/{job_id}.csv",
    }
    document = json.loads(download(job_stack, job_id, "json"))
    assert document["summary"]["fund_air"] == pytest.approx(expected_air, rel=1e-12)
    # No member has a value-creation plan: the report's roll-up says so.
    assert document["summary"]["value_creation"] == summary["value_creation"]
    assert document["summary"]["value_creation"]["members_with_plans"] == 0
    by_company = {entry["company_id"]: entry for entry in document["companies"]}
    assert set(by_company) == set(ev) and document["failures"] == []
    for row in rows:
        entry = by_company[str(row.company_id)]
        assert entry["scores"]["org_air"] == row.org_air
        assert entry["ci"]["org_air"] == [row.org_air_ci_lower, row.org_air_ci_upper]
        assert entry["inputs"] == json.loads(row.inputs)
        assert entry["review_status"] == row.review_status
        assert entry["ev_usd"] == ev[str(row.company_id)]
    table = list(csv.DictReader(io.StringIO(download(job_stack, job_id, "csv").decode())))
    assert len(table) == 200 and {line["status"] for line in table} == {"scored"}
    for line in table:
        entry = by_company[line["company_id"]]
        assert float(line["org_air"]) == entry["scores"]["org_air"]
        assert float(line["vr_ci_lower"]) == entry["ci"]["vr"][0]
        assert float(line["input_talent_concentration"]) == entry["inputs"]["talent_concentration"]
        assert line["review_status"] == entry["review_status"]


def test_incomplete_company_is_a_recorded_failure_and_the_job_still_succeeds(
    job_stack: JobStack, worker: RunningProcess
) -> None:
    companies = job_stack.seed_companies(
        6, name_prefix="Partial", missing_dimension_for=frozenset({2})
    )
    unassessed = job_stack.api.post(
        f"{V1}/companies",
        json={"name": "Never Assessed", "industry_id": "550e8400-e29b-41d4-a716-446655440006"},
    ).json()
    members = [{"company_id": str(c.company_id)} for c in companies]
    fund_id = job_stack.create_fund([*members, {"company_id": unassessed["id"]}])
    job = job_stack.wait_until_finished(start_job(job_stack, fund_id)["id"])
    assert (job["state"], job["total"], job["scored"], job["failed"]) == ("succeeded", 7, 5, 2)
    errors = {error["company_id"]: error for error in job["errors"]}
    incomplete = errors[str(companies[2].company_id)]
    assert incomplete["code"] == "incomplete_assessment"
    assert "culture_change" in incomplete["reason"]
    assert incomplete["assessment_id"] == str(companies[2].assessment_id)
    assert errors[unassessed["id"]]["code"] == "no_scorable_assessment"
    table = list(csv.DictReader(io.StringIO(download(job_stack, job["id"], "csv").decode())))
    failed = {line["company_id"]: line for line in table if line["status"] == "failed"}
    assert set(failed) == set(errors)
    assert failed[str(companies[2].company_id)]["failure_code"] == "incomplete_assessment"


def test_job_gates_each_company_as_the_synchronous_path_does(
    job_stack: JobStack, worker: RunningProcess
) -> None:
    """A company whose new assessment moves its score by more than the threshold waits for
    a reviewer; one that stays close is approved and supersedes its old assessment."""
    api = job_stack.api
    industry = "550e8400-e29b-41d4-a716-446655440001"
    steady = api.post(f"{V1}/companies", json={"name": "Steady", "industry_id": industry}).json()
    jumpy = api.post(f"{V1}/companies", json={"name": "Jumpy", "industry_id": industry}).json()
    first = {}
    for company in (steady, jumpy):
        assessment = submitted_assessment(api, company["id"], 60)  # type: ignore[arg-type]
        response = score(api, assessment["id"])  # type: ignore[arg-type]
        assert response.json()["review_status"] == "auto_approved"
        first[company["id"]] = (assessment["id"], response.json())
    second = {
        steady["id"]: submitted_assessment(api, steady["id"], 62),  # type: ignore[arg-type]
        jumpy["id"]: submitted_assessment(api, jumpy["id"], 84),  # type: ignore[arg-type]
    }
    fund_id = job_stack.create_fund([{"company_id": steady["id"]}, {"company_id": jumpy["id"]}])
    job = job_stack.wait_until_finished(start_job(job_stack, fund_id)["id"])
    assert job["state"] == "succeeded"
    rows = {str(row.company_id): row for row in job_stack.job_scores(job["id"])}

    assert rows[steady["id"]].review_status == "auto_approved"
    assert str(rows[steady["id"]].compared_with_score_id) == first[steady["id"]][1]["id"]
    assert api.get(f"{V1}/assessments/{second[steady['id']]['id']}").json()["status"] == "approved"
    assert api.get(f"{V1}/assessments/{first[steady['id']][0]}").json()["status"] == "superseded"

    held = rows[jumpy["id"]]
    assert held.review_status == "pending_review" and held.approved_at is None
    assert "changed by" in json.loads(held.review_reasons)[0]
    assert api.get(f"{V1}/assessments/{second[jumpy['id']]['id']}").json()["status"] == "submitted"
    current = api.get(f"{V2}/companies/{jumpy['id']}/scores").json()["current"]
    assert current["id"] == first[jumpy["id"]][1]["id"]  # the old score stays current


def test_same_idempotency_key_twice_is_one_job(job_stack: JobStack, worker: RunningProcess) -> None:
    companies = job_stack.seed_companies(30, name_prefix="Idem")
    fund_id = job_stack.create_fund([{"company_id": str(c.company_id)} for c in companies])
    key = f"retry-{uuid.uuid4()}"
    url = f"{V2}/funds/{fund_id}/scoring-jobs"
    first = job_stack.api.post(url, headers={"Idempotency-Key": key})
    again = job_stack.api.post(url, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    job = job_stack.wait_until_finished(first.json()["id"])
    assert job["state"] == "succeeded"
    # After it finished the key still names the same job; nothing runs twice.
    late = job_stack.api.post(url, headers={"Idempotency-Key": key})
    assert late.status_code == 202 and late.json()["id"] == job["id"]
    jobs = job_stack.api.get(url).json()
    assert jobs["total"] == 1
    ids = [str(c.company_id) for c in companies]
    assert job_stack.score_rows_per_company(ids) == dict.fromkeys(ids, 1)
    # The same key for another request is refused, not silently replayed.
    other_fund = job_stack.create_fund([{"company_id": ids[0]}], name="Other Fund")
    reused = job_stack.api.post(
        f"{V2}/funds/{other_fund}/scoring-jobs", headers={"Idempotency-Key": key}
    )
    assert reused.status_code == 422, reused.text


def test_events_arrive_in_order_and_resume_after_last_event_id(
    job_stack: JobStack, worker: RunningProcess
) -> None:
    companies = job_stack.seed_companies(
        100, name_prefix="Stream", missing_dimension_for=frozenset({10})
    )
    fund_id = job_stack.create_fund([{"company_id": str(c.company_id)} for c in companies])
    job_id = start_job(job_stack, fund_id)["id"]
    events_url = f"{V2}/jobs/{job_id}/events"
    stream = read_stream(job_stack.api, events_url)
    assert stream.ended
    events = stream.events
    kinds = [event.kind for event in events]
    assert kinds[0] == "progress" and kinds[-1] == "completed"
    assert kinds.count("completed") == 1
    progress = [event.data["done"] for event in events if event.kind == "progress"]
    assert progress[0] == 0 and progress == sorted(set(progress)) and progress[-1] == 100
    assert all(event.data["total"] == 100 for event in events if event.kind == "progress")
    failed = [event.data for event in events if event.kind == "company_failed"]
    assert [f["company_id"] for f in failed] == [str(companies[10].company_id)]
    assert failed[0]["code"] == "incomplete_assessment"
    completed = events[-1].data
    assert (completed["state"], completed["scored"], completed["failed"]) == ("succeeded", 99, 1)
    assert completed["report"]["json_key"].endswith(f"{job_id}.json")
    positions = [event_position(event.id) for event in events if event.id]
    assert len(positions) == len(events) and positions == sorted(set(positions))

    # Reconnecting after the second event replays exactly what followed it.
    resumed = read_stream(job_stack.api, events_url, last_event_id=events[1].id)
    assert resumed.ended
    assert [(e.id, e.kind, e.data) for e in resumed.events] == [
        (e.id, e.kind, e.data) for e in events[2:]
    ]
    # After the last event there is nothing more: the stream just ends.
    after_end = read_stream(job_stack.api, events_url, last_event_id=events[-1].id)
    assert after_end.ended and after_end.events == []
    malformed = job_stack.api.get(events_url, headers={"Last-Event-ID": "yesterday"})
    assert malformed.status_code == 400


def test_correlation_id_and_trace_context_reach_the_worker_logs(
    job_stack: JobStack, worker: RunningProcess
) -> None:
    companies = job_stack.seed_companies(40, name_prefix="Traced")
    fund_id = job_stack.create_fund([{"company_id": str(c.company_id)} for c in companies])
    correlation_id = f"test-correlation-{uuid.uuid4().hex[:12]}"
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    job_id = start_job(
        job_stack, fund_id, **{"X-Correlation-ID": correlation_id, "traceparent": traceparent}
    )["id"]
    assert job_stack.wait_until_finished(job_id)["state"] == "succeeded"
    lines = [
        record
        for record in map(json.loads, job_stack.worker_log(worker).splitlines())
        if record.get("job_id") == job_id
    ]
    tasks = {record.get("task") for record in lines}
    assert {"orgair.fund_jobs.start", "orgair.fund_jobs.score_chunk",
            "orgair.fund_jobs.finalize"} <= tasks  # fmt: skip
    assert {record["correlation_id"] for record in lines} == {correlation_id}
    assert {record["trace_id"] for record in lines} == {trace_id}
    assert all(record["service"] == "worker" for record in lines)
