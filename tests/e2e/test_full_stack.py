"""The whole platform as compose runs it, driven only through the gateway's public port.

redis, the embedded S3 server, init, scoring, worker and gateway run as separate OS
processes with compose.yaml's commands and environment (tests/e2e/compose_stack.py);
an in-test OTLP receiver stands in for the collector. One analyst's day: keys, a
company, an assessment, a score held for review and approved, a fund, a background
scoring job followed over SSE, the report from S3. Then what an operator needs:
one trace across the three services, parseable logs tied to requests, no secret
anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgair_cli.devstack import ProcessGroup, ProcessSpec, free_port, http_ok
from tests.e2e.compose_stack import (
    REPO_ROOT,
    LoopbackNetwork,
    load_compose,
    process_environment,
    service_command,
)
from tests.e2e.otlp_receiver import OtlpReceiver
from tests.support.servers import running_redis, running_s3
from tests.worker.sse import read_stream

DIMENSIONS = (
    "data_infrastructure", "ai_governance", "technology_stack", "talent_skills",
    "leadership_vision", "use_case_portfolio", "culture_change",
)  # fmt: skip
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"
MANUFACTURING = "550e8400-e29b-41d4-a716-446655440001"


@dataclass
class Stack:
    gateway: str
    log_dir: Path
    otlp: OtlpReceiver
    secrets: list[str]
    env: dict[str, dict[str, str]]
    responses: list[str] = field(default_factory=list)

    def log_lines(self, service: str) -> list[str]:
        return (self.log_dir / f"{service}.log").read_text(errors="replace").splitlines()


def _worker_ready(env: dict[str, str], compose: dict[str, Any]) -> bool:
    check = compose["services"]["worker"]["healthcheck"]["test"][1:]
    argv = [sys.executable if check[0] == "python" else check[0], *check[1:]]
    return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    compose = load_compose()
    workdir = tmp_path_factory.mktemp("e2e")
    log_dir = workdir / "logs"
    data_dir = workdir / "data"
    data_dir.mkdir()
    host_env = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "S3_BUCKET": "orgair-e2e",
        "AWS_SECRET_ACCESS_KEY": "e2e-" + secrets.token_hex(12),
    }
    with running_redis() as redis_server, running_s3() as s3_url, OtlpReceiver() as otlp:
        network = LoopbackNetwork(
            redis_port=redis_server.port,
            s3_port=int(s3_url.rsplit(":", 1)[1]),
            otlp_port=otlp.port,
            scoring_port=free_port(),
            gateway_port=free_port(),
            worker_metrics_port=free_port(),
            data_dir=data_dir,
            # Compose gives the worker a container-private /tmp; here it gets its own folder.
            extra_env={"WORKER_HEARTBEAT_FILE": str(workdir / "worker.heartbeat")},
        )
        envs = {
            name: process_environment(compose, name, network, host_env)
            for name in ("init", "scoring", "worker", "gateway")
        }
        scoring = f"http://127.0.0.1:{network.scoring_port}"
        gateway = f"http://127.0.0.1:{network.gateway_port}"
        group = ProcessGroup(log_dir, base_env={})
        try:
            for spec in (
                ProcessSpec("init", service_command(compose, "init"), env=envs["init"],
                            one_shot=True, startup_timeout=180),
                ProcessSpec("scoring", service_command(compose, "scoring"), env=envs["scoring"],
                            ready=lambda: http_ok(f"{scoring}/readyz")),
                ProcessSpec("worker", service_command(compose, "worker"), env=envs["worker"],
                            ready=lambda: _worker_ready(envs["worker"], compose),
                            startup_timeout=90),
                ProcessSpec("gateway", service_command(compose, "gateway"), env=envs["gateway"],
                            ready=lambda: http_ok(f"{gateway}/readyz")),
            ):  # fmt: skip
                group.start(spec)
            yield Stack(
                gateway=gateway,
                log_dir=log_dir,
                otlp=otlp,
                secrets=[host_env["SECRET_KEY"], host_env["AWS_SECRET_ACCESS_KEY"]],
                env=envs,
            )
        finally:
            group.stop()


def issue_admin_key(stack: Stack) -> str:
    """The first key comes from the operator's CLI; every later one through the gateway."""
    result = subprocess.run(
        [sys.executable, "-m", "orgair_cli.main", "keys", "create", "--role", "admin",
         "--name", "e2e operator"],
        env={**os.environ, **stack.env["init"]}, cwd=REPO_ROOT / "tests",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    stack.secrets.append(key)
    return key


class Api:
    """A caller of the public port that remembers every response body it saw."""

    def __init__(self, stack: Stack, key: str) -> None:
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


@pytest.mark.slow
def test_an_analysts_day_through_the_public_port(stack: Stack) -> None:
    admin = Api(stack, issue_admin_key(stack))
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
    body = httpx.get(report_url, timeout=30)
    assert body.status_code == 200
    document = body.json()
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
    wanted = {"pe-orgair-gateway", "pe-orgair-scoring", "pe-orgair-worker"}
    while not wanted <= stack.otlp.services_in_trace(trace_id) and time.monotonic() < deadline:
        time.sleep(1)
    assert wanted <= stack.otlp.services_in_trace(trace_id), stack.otlp.services_in_trace(trace_id)

    # Logs: one JSON object per line, request lines carry their correlation id, and the
    # job's id is on its lines in the gateway, scoring and worker.
    for service in ("gateway", "scoring", "worker"):
        lines = [line for line in stack.log_lines(service) if line.strip()]
        parsed = [json.loads(line) for line in lines]
        for entry in parsed:
            assert {"timestamp", "level", "event", "service", "correlation_id"} <= set(entry)
            if entry["event"] == "request_completed":
                assert entry["correlation_id"], entry
        assert any(entry["correlation_id"] == correlation_id for entry in parsed), service

    # No secret from the environment or any issued key in any log or response.
    everything = "\n".join(
        [*stack.responses, *(line for s in ("init", "scoring", "worker", "gateway")
                             for line in stack.log_lines(s))]
    )  # fmt: skip
    for secret in stack.secrets:
        assert secret not in everything
