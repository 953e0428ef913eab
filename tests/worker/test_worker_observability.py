"""A prefork worker's telemetry: spans from every pool process, task durations on /metrics."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.otlp_receiver import OtlpReceiver
from tests.metrics.test_scoring_metrics import sample
from tests.support.servers import free_port
from tests.worker.conftest import V2, JobStack

METRICS_PORT = free_port()
OTLP = OtlpReceiver()
# Small chunks: a 120-company job is many tasks, shared out over both pool processes.
WORKER_SETTINGS = {
    "WORKER_CONCURRENCY": 2,
    "FUND_JOB_CHUNK_SIZE": 5,
    "WORKER_METRICS_PORT": METRICS_PORT,
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OTLP:
        yield OTLP


def test_both_pool_processes_export_spans_and_task_durations(
    receiver: OtlpReceiver, job_stack: JobStack
) -> None:
    # Only the worker exports (the scoring API here runs inside the test process, whose
    # tracer provider outlives this module's receiver).
    job_stack.worker_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{receiver.port}"
    worker = job_stack.start_worker("traced-worker")
    companies = job_stack.seed_companies(120)
    fund_id = job_stack.create_fund([{"company_id": str(c.company_id)} for c in companies])
    response = job_stack.api.post(f"{V2}/funds/{fund_id}/scoring-jobs")
    assert response.status_code == 202, response.text
    job = job_stack.wait_until_finished(response.json()["id"])
    assert job["state"] == "succeeded"

    metrics = httpx.get(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10).text
    assert sample(metrics, "orgair_worker_task_duration_seconds_count", outcome="success") > 0

    # Stopping the worker makes each pool process flush its span exporter on the way out.
    job_stack.workers.stop()
    job_stack.started.remove(worker)
    worker_pids = receiver.resource_values("process.pid", service="pe-orgair-worker")
    assert len(worker_pids) >= 2, worker_pids
