"""Fund jobs while a dependency is down: Celery retries the step with back-off, and the
job either rides the outage out or fails with a reason naming the step.

The worker's S3 is the dependency taken away: the scores go to the database, then the
finalize step cannot write the report (the scoring API, in the test process, keeps
the S3 server of the stack).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgair_cli.devstack import ProcessGroup, RunningProcess, s3_spec
from orgair_objectstore import ObjectStore
from tests.support.servers import free_port
from tests.worker.conftest import TEST_WORKER_SETTINGS, V2, JobStack

MAX_RETRIES = TEST_WORKER_SETTINGS["CELERY_TASK_MAX_RETRIES"]


@pytest.fixture
def workers(job_stack: JobStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobStack]:
    """The stack; the worker settings a test changes and the workers it starts are
    put back and stopped when it ends."""
    monkeypatch.setattr(job_stack, "worker_env", dict(job_stack.worker_env))
    try:
        yield job_stack
    finally:
        job_stack.workers.stop()


def post_job(stack: JobStack, prefix: str) -> str:
    companies = [str(c.company_id) for c in stack.seed_companies(3, name_prefix=prefix)]
    fund_id = stack.create_fund([{"company_id": company} for company in companies])
    response = stack.api.post(f"{V2}/funds/{fund_id}/scoring-jobs")
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def log_lines(stack: JobStack, worker: RunningProcess) -> list[dict[str, Any]]:
    text = stack.worker_log(worker)
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def retries_of(stack: JobStack, worker: RunningProcess, job_id: str) -> list[dict[str, Any]]:
    return [
        line
        for line in log_lines(stack, worker)
        if line.get("event") == "task_retrying" and line.get("job_id") == job_id
    ]


def test_an_outage_longer_than_the_retries_fails_the_job_naming_the_step(
    workers: JobStack,
) -> None:
    stack = workers
    stack.worker_env["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing there
    worker = stack.start_worker("worker-without-s3")
    job_id = post_job(stack, "Outage")

    job = stack.wait_until_finished(job_id)

    assert (job["state"], job["scored"], job["report"]) == ("failed", 3, None)
    assert job["error"] == "finalize: ObjectStoreError persisted after every retry"
    retries = retries_of(stack, worker, job_id)
    assert [line["attempt"] for line in retries] == list(range(1, MAX_RETRIES + 1))
    assert {(line["task"], line["error"]) for line in retries} == {
        ("orgair.fund_jobs.finalize", "ObjectStoreError")
    }
    assert len(stack.job_scores(job_id)) == 3  # what was scored before stays


def test_an_outage_shorter_than_the_retries_is_ridden_out(
    workers: JobStack, tmp_path: Path
) -> None:
    stack = workers
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # Many retries: the back-off is random (full jitter), so enough of them that the
    # outage certainly outlasts none of them before the server below is up.
    stack.worker_env |= {"S3_ENDPOINT_URL": endpoint, "CELERY_TASK_MAX_RETRIES": "20"}
    worker = stack.start_worker("worker-s3-comes-back")
    job_id = post_job(stack, "Comeback")
    deadline = time.monotonic() + 60
    while not retries_of(stack, worker, job_id):
        assert time.monotonic() < deadline, stack.worker_log(worker)[-2000:]
        time.sleep(0.1)

    s3 = ProcessGroup(tmp_path / "late-s3")
    try:
        s3.start(s3_spec(port))
        store = ObjectStore.from_settings(
            stack.settings.model_copy(update={"S3_ENDPOINT_URL": endpoint})
        )
        store.check_bucket(create_if_missing=True)
        job = stack.wait_until_finished(job_id)
        assert job["state"] == "succeeded", job
        report = json.loads(store.get_bytes(job["report"]["json_key"]))
    finally:
        s3.stop()
    assert len(report["companies"]) == 3
    assert 1 <= len(retries_of(stack, worker, job_id)) < 20
