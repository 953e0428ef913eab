"""One analyst's day, driven only through the gateway's public port, for any way of
running the platform (local processes in tests/e2e, containers in tests/docker).

Keys, a company, an assessment, a score held for review and approved, a fund, a
background scoring job followed over SSE, the report from S3; then what an operator
needs: one trace across gateway, scoring and worker, JSON logs tied to requests, no
secret in any log or response.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Protocol

import httpx
import pytest

from tests.worker.sse import read_stream

DIMENSIONS = (
    "data_infrastructure", "ai_governance", "technology_stack", "talent_skills",
    "leadership_vision", "use_case_portfolio", "culture_change",
)  # fmt: skip
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"
MANUFACTURING = "550e8400-e29b-41d4-a716-446655440001"
TRACED_SERVICES = {"pe-orgair-gateway", "pe-orgair-scoring", "pe-orgair-worker"}
LOGGED_SERVICES = ("gateway", "scoring", "worker")


class Platform(Protocol):
    """What the flow needs from a running platform besides its public port."""

    gateway: str
    secrets: list[str]
    responses: list[str]

    def issue_admin_key(self) -> str:
        """The first key, from the operator's tooling (every later one via the gateway)."""

    def services_in_trace(self, trace_id: str) -> set[str]:
        """service.name of every span the collector (stand-in) received for the trace."""

    def log_lines(self, service: str) -> list[str]:
        """What the service wrote, one line each."""

    def fetch(self, url: str) -> bytes:
        """GET a presigned S3 URL from where the platform's S3 endpoint resolves."""


class Api:
    """A caller of the public port that remembers every response body it saw."""

    def __init__(self, stack: Platform, key: str) -> None:
        self.stack = stack
        self.client = httpx.Client(base_url=stack.gateway, headers={"X-API-Key": key}, timeout=30)

    def call(
        self, method: str, path: str, expected: int, *, record: bool = True, **kwargs: Any
    ) -> Any:
        response = self.client.request(method, path, **kwargs)
        if record:  # a key's creation response is the one place that key may appear
            self.stack.responses.append(response.text)
        assert response.status_code == expected, (method, path, response.text)
        assert response.headers.get("X-Correlation-ID")
        return response.json() if response.content else None


def submitted_assessment(api: Api, company_id: str, value: float) -> dict[str, Any]:
    assessment = api.call(
        "POST", "/api/v1/assessments", 201,
        json={"company_id": company_id, "assessment_type": "due_diligence",
              "assessment_date": "2026-11-01", "talent_concentration": 0.2,
              "market_cap_percentile": 0.5},
    )  # fmt: skip
    api.call(
        "POST", f"/api/v1/assessments/{assessment['id']}/scores", 201,
        json={"scores": [{"dimension": d, "score": value, "evidence_count": 2} for d in DIMENSIONS]},
    )  # fmt: skip
    for status in ("in_progress", "submitted"):
        api.call("PATCH", f"/api/v1/assessments/{assessment['id']}/status", 200,
                 json={"status": status})  # fmt: skip
    return assessment  # type: ignore[no-any-return]


def analysts_day(stack: Platform) -> None:
    """The whole flow; fails on the first thing that does not hold."""
    admin = Api(stack, stack.issue_admin_key())
    keys = {
        role: admin.call(
            "POST", "/admin/keys", 201, record=False, json={"name": f"e2e {role}", "role": role}
        )["key"]
        for role in ("analyst", "reviewer")
    }
    stack.secrets.extend(keys.values())
    analyst, reviewer = Api(stack, keys["analyst"]), Api(stack, keys["reviewer"])

    industries = analyst.call("GET", "/api/v1/industries", 200)
    assert {i["id"] for i in industries} >= {TECHNOLOGY, MANUFACTURING}

    # A low score waits for a reviewer; the reviewer approves it.
    company = analyst.call("POST", "/api/v1/companies", 201,
                           json={"name": "Acme Robotics", "industry_id": MANUFACTURING})  # fmt: skip
    held = analyst.call("POST", f"/api/v2/assessments/{submitted_assessment(analyst, company['id'], 12)['id']}/score", 201)  # fmt: skip
    assert held["review_status"] == "pending_review"
    analyst.call(
        "POST", f"/api/v2/reviews/{held['id']}/decision", 403, json={"decision": "approve"}
    )
    decided = reviewer.call("POST", f"/api/v2/reviews/{held['id']}/decision", 200,
                            json={"decision": "approve", "comment": "turnaround plan seen"})  # fmt: skip
    assert decided["review_status"] == "approved"
    current = analyst.call("GET", f"/api/v2/companies/{company['id']}/scores", 200)["current"]
    assert current["id"] == held["id"]

    # A fund of that company and four more, each with a submitted assessment.
    members = [company["id"]]
    for index, value in enumerate((55, 62, 70, 78)):
        other = analyst.call("POST", "/api/v1/companies", 201,
                             json={"name": f"Portfolio Co {index}", "industry_id": TECHNOLOGY})  # fmt: skip
        submitted_assessment(analyst, other["id"], value)
        members.append(other["id"])
    submitted_assessment(analyst, company["id"], 20)  # the first company's newer assessment
    fund = analyst.call(
        "POST", "/api/v2/funds", 201,
        json={"name": "Fund IV", "members": [{"company_id": m, "ev_usd": 1e8} for m in members]},
    )  # fmt: skip

    # The job: one trace from the caller's traceparent through gateway, scoring, worker.
    trace_id = uuid.uuid4().hex
    correlation_id = f"e2e-job-{uuid.uuid4().hex}"
    job = analyst.call(
        "POST", f"/api/v2/funds/{fund['id']}/scoring-jobs", 202,
        headers={"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
                 "X-Correlation-ID": correlation_id},
    )  # fmt: skip
    stream = read_stream(analyst.client, f"/api/v2/jobs/{job['id']}/events", timeout=120)
    kinds = [event.kind for event in stream.events]
    assert kinds[-1] == "completed" and "progress" in kinds
    finished = analyst.call("GET", f"/api/v2/jobs/{job['id']}", 200)
    assert finished["state"] == "succeeded", finished
    report = analyst.call("GET", f"/api/v2/jobs/{job['id']}/report", 200)
    report_url = next(value for key, value in report.items() if "url" in key and value)
    document = json.loads(stack.fetch(report_url))
    assert {row["company_id"] for row in document["companies"]} == set(members)

    summary = analyst.call("GET", f"/api/v2/funds/{fund['id']}/summary", 200)
    assert summary["member_count"] == len(members)
    assert summary["scored_count"] + summary["unscored_count"] == len(members)
    currents = [
        analyst.call("GET", f"/api/v2/companies/{m}/scores", 200)["current"] for m in members
    ]
    approved = [c["org_air"] for c in currents if c is not None]
    assert summary["scored_count"] == len(approved)
    # Equal EVs: the Fund-AI-R is the plain mean of the current approved scores.
    assert summary["fund_air"] == pytest.approx(sum(approved) / len(approved))
    # 2 sectors, EV shares 1/5 and 4/5.
    assert summary["sector_hhi"] == pytest.approx(0.2**2 + 0.8**2)

    # One trace spans the three services (spans are exported in batches: wait for them).
    deadline = time.monotonic() + 60
    wanted = TRACED_SERVICES
    while not wanted <= stack.services_in_trace(trace_id) and time.monotonic() < deadline:
        time.sleep(1)
    assert wanted <= stack.services_in_trace(trace_id), stack.services_in_trace(trace_id)

    # Logs: one JSON object per line, request lines carry their correlation id, and the
    # job's id is on its lines in the gateway, scoring and worker.
    for service in LOGGED_SERVICES:
        lines = [line for line in stack.log_lines(service) if line.strip()]
        parsed = [json.loads(line) for line in lines]
        for entry in parsed:
            assert {"timestamp", "level", "event", "service", "correlation_id"} <= set(entry)
            if entry["event"] == "request_completed":
                assert entry["correlation_id"], entry
        assert any(entry["correlation_id"] == correlation_id for entry in parsed), service

    # No secret from the environment or any issued key in any log or response.
    everything = "\n".join(
        [
            *stack.responses,
            *(line for s in ("init", *LOGGED_SERVICES) for line in stack.log_lines(s)),
        ]
    )
    for secret in stack.secrets:
        assert secret not in everything
