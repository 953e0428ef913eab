"""Fund jobs when things go wrong: a worker killed mid-job, a job cancelled mid-way, a
stream with nothing to say. Small chunks (5 companies) so that a job of a few hundred
companies takes long enough to be interrupted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from orgair_cli.devstack import RunningProcess
from tests.worker.conftest import V2, JobStack
from tests.worker.sse import Stream, read_stream

WORKER_SETTINGS = {"FUND_JOB_CHUNK_SIZE": 5}


@pytest.fixture
def workers(job_stack: JobStack) -> Iterator[JobStack]:
    """The stack, with every worker a test starts stopped when it ends."""
    try:
        yield job_stack
    finally:
        job_stack.workers.stop()


def fund_of(stack: JobStack, count: int, prefix: str) -> tuple[str, list[str]]:
    companies = [str(c.company_id) for c in stack.seed_companies(count, name_prefix=prefix)]
    return stack.create_fund([{"company_id": company} for company in companies]), companies


def post_job(stack: JobStack, fund_id: str) -> str:
    response = stack.api.post(f"{V2}/funds/{fund_id}/scoring-jobs")
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def test_sigkill_mid_job_then_a_new_worker_completes_it_without_gaps_or_doubles(
    workers: JobStack,
) -> None:
    stack = workers
    fund_id, companies = fund_of(stack, 300, "Killed")
    first: RunningProcess = stack.start_worker("worker-killed")
    job_id = post_job(stack, fund_id)
    stack.wait_for_job(job_id, lambda job: job["done"] >= 40, timeout=60)
    stack.kill_worker(first)

    at_kill = stack.job(job_id)
    assert at_kill["state"] == "running" and at_kill["done"] < 300, "killed too late"
    # What the dead worker held is still in Redis: tasks it had received but not
    # acknowledged, and the queue it never got to.
    in_flight = stack.broker.hlen("unacked")
    assert in_flight > 0, "the kill left no task in flight"

    stack.start_worker("worker-successor")
    job = stack.wait_until_finished(job_id, timeout=90)
    assert (job["state"], job["total"], job["scored"], job["failed"]) == (
        "succeeded", 300, 300, 0
    )  # fmt: skip
    rows = stack.job_scores(job_id)
    assert len(rows) == 300
    assert sorted(str(row.company_id) for row in rows) == sorted(companies)
    # Fresh companies: one score row each in the whole table, not only for this job.
    assert stack.score_rows_per_company(companies) == dict.fromkeys(companies, 1)
    # Every task is acknowledged in the end (the finalize task itself acknowledges a
    # moment after it has marked the job succeeded, which the API can show first).
    deadline = time.monotonic() + 30
    while stack.broker.hlen("unacked"):
        assert time.monotonic() < deadline, "a task was never acknowledged"
        time.sleep(0.1)


def test_cancel_mid_job_writes_nothing_afterwards(workers: JobStack) -> None:
    stack = workers
    fund_id, _ = fund_of(stack, 300, "Cancelled")
    stack.start_worker("worker-cancel")
    job_id = post_job(stack, fund_id)
    stack.wait_for_job(job_id, lambda job: job["done"] >= 20, timeout=60)

    cancelled = stack.api.delete(f"{V2}/jobs/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["state"] == "cancelled" and body["cancelled_by"] == "test-analyst-key"
    assert body["done"] < 300, "cancelled too late"
    written = len(stack.job_scores(job_id))
    assert written == body["scored"]

    # The chunks already queued still run, see the job cancelled and write nothing.
    deadline = time.monotonic() + 30
    while stack.broker.llen("orgair.fund-jobs") + stack.broker.hlen("unacked"):
        assert time.monotonic() < deadline, "the queued chunks were not consumed"
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(stack.job_scores(job_id)) == written
    job = stack.job(job_id)
    assert (job["state"], job["scored"], job["report"]) == ("cancelled", written, None)
    assert stack.api.get(f"{V2}/jobs/{job_id}/report").status_code == 409
    # Cancelling again changes nothing; a finished job cannot be cancelled.
    assert stack.api.delete(f"{V2}/jobs/{job_id}").json()["state"] == "cancelled"
    stream = read_stream(stack.api, f"{V2}/jobs/{job_id}/events")
    assert stream.ended and stream.events[-1].kind == "completed"
    assert stream.events[-1].data["state"] == "cancelled"


def test_an_idle_stream_keeps_alive_and_ends_when_the_job_is_cancelled(
    workers: JobStack,
) -> None:
    """No worker runs: the job stays queued and its stream has nothing to say."""
    stack = workers
    fund_id, _ = fund_of(stack, 3, "Idle")
    job_id = post_job(stack, fund_id)
    result: dict[str, Stream] = {}
    reader = threading.Thread(
        target=lambda: result.setdefault(
            "stream", read_stream(stack.api, f"{V2}/jobs/{job_id}/events", timeout=30)
        )
    )
    reader.start()
    time.sleep(3.5)  # JOB_SSE_KEEPALIVE_SECONDS=1 in these tests
    assert stack.api.delete(f"{V2}/jobs/{job_id}").json()["state"] == "cancelled"
    reader.join(timeout=30)
    assert not reader.is_alive()
    stream = result["stream"]
    assert stream.ended
    assert stream.comments.count("keep-alive") >= 2
    assert [event.kind for event in stream.events] == ["completed"]
    assert stream.events[0].data["state"] == "cancelled"
    # Its start task is still queued; a worker that picks it up later leaves it cancelled.
    stack.start_worker("worker-late")
    deadline = time.monotonic() + 30
    while stack.broker.llen("orgair.fund-jobs"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.5)
    assert stack.job(job_id)["state"] == "cancelled"
    assert stack.job_scores(job_id) == []
