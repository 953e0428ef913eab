"""The worker's parts on their own: settings rules, the shared Celery configuration,
the heartbeat and its healthcheck, failure reasons, and the ordering rules of job events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from pydantic import ValidationError

from orgair_cli.devstack import ProcessGroup, redis_spec, worker_spec
from orgair_config import Settings
from orgair_domain.jobs.events import JobEventPublisher, stream_key
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.queue import celery_config
from orgair_worker.health import check_heartbeat, write_heartbeat
from orgair_worker.tasks import failure_reason
from tests.conftest import TEST_SECRET_KEY
from tests.support.servers import RedisServer, free_port


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, SECRET_KEY=TEST_SECRET_KEY, **values)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"CELERY_TASK_SOFT_TIME_LIMIT_SECONDS": 400}, "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS"),
        ({"CELERY_TASK_TIME_LIMIT_SECONDS": 3600}, "CELERY_VISIBILITY_TIMEOUT_SECONDS"),
        ({"CELERY_VISIBILITY_TIMEOUT_SECONDS": 300}, "CELERY_VISIBILITY_TIMEOUT_SECONDS"),
        ({"JOB_SSE_KEEPALIVE_SECONDS": 16}, "JOB_SSE_KEEPALIVE_SECONDS"),
        ({"GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS": 10}, "GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS"),
    ],
)
def test_task_limits_and_keepalive_must_fit_inside_each_other(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError) as error:
        build(**values)
    assert named in str(error.value)


def test_producer_and_worker_share_one_visibility_timeout_longer_than_any_task() -> None:
    config = celery_config(build(CELERY_VISIBILITY_TIMEOUT_SECONDS=900))
    broker, results = config["broker_transport_options"], config["result_backend_transport_options"]
    assert broker["visibility_timeout"] == results["visibility_timeout"] == 900
    assert config["task_time_limit"] < broker["visibility_timeout"]
    assert config["task_soft_time_limit"] < config["task_time_limit"]
    assert broker["unacked_restore_interval"] * broker["unacked_restore_throttle"] <= 90
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["worker_hijack_root_logger"] is False


def test_failure_reasons_name_the_step_and_the_cause() -> None:
    assert "time limit" in failure_reason("orgair.fund_jobs.score_chunk", _soft_limit())
    assert failure_reason("orgair.fund_jobs.finalize", KeyError("x")).startswith("finalize:")
    assert failure_reason("orgair.fund_jobs.start", ConnectionError()) == (
        "start: ConnectionError persisted after every retry"
    )


def _soft_limit() -> BaseException:
    from celery.exceptions import SoftTimeLimitExceeded

    error: BaseException = SoftTimeLimitExceeded()
    return error


def test_heartbeat_freshness(tmp_path: Path) -> None:
    path = tmp_path / "beats" / "worker.heartbeat"
    assert not check_heartbeat(path, 30).healthy
    write_heartbeat(path)
    assert check_heartbeat(path, 30).healthy
    assert not check_heartbeat(path, 30, now=time.time() + 31).healthy
    path.write_text("not json")
    assert not check_heartbeat(path, 30).healthy


def healthcheck(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_worker", "healthcheck", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_worker_is_healthy_only_while_connected_to_the_broker(tmp_path: Path) -> None:
    """The heartbeat comes from the broker connection: stop Redis and the worker goes
    stale; start it again and the worker recovers by itself."""
    port = free_port()
    broker = RedisServer(f"redis://127.0.0.1:{port}/0", port, ProcessGroup(tmp_path / "redis"))
    broker.group.start(redis_spec(port, data_dir=tmp_path))
    heartbeat = tmp_path / "worker.heartbeat"
    env = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "REDIS_URL": broker.url_for(0),
        "CELERY_BROKER_URL": broker.url_for(1),
        "CELERY_RESULT_BACKEND": broker.url_for(2),
        "WORKER_HEARTBEAT_FILE": str(heartbeat),
        "WORKER_HEARTBEAT_INTERVAL_SECONDS": "0.5",
        "WORKER_CONCURRENCY": "1",
    }
    assert healthcheck(env, tmp_path).returncode == 1  # no worker yet
    workers = ProcessGroup(tmp_path / "logs", base_env=env)
    try:
        workers.start(worker_spec(heartbeat, env=env, cwd=tmp_path))
        assert healthcheck(env, tmp_path, "--ready").returncode == 0

        broker.stop()
        deadline = time.monotonic() + 20
        while healthcheck(env, tmp_path).returncode == 0:
            assert time.monotonic() < deadline, "heartbeat stayed fresh without a broker"
            time.sleep(0.5)
        assert "no broker" in healthcheck(env, tmp_path).stderr

        broker.group.start(redis_spec(port, data_dir=tmp_path))
        deadline = time.monotonic() + 60
        while healthcheck(env, tmp_path, "--ready").returncode != 0:
            assert time.monotonic() < deadline, "worker did not reconnect"
            time.sleep(0.5)
        assert workers.running[0].process.poll() is None
    finally:
        workers.stop()
        broker.stop()
    log_lines = (tmp_path / "logs" / "worker.log").read_text().splitlines()
    assert all(json.loads(line)["service"] == "worker" for line in log_lines if line)


def _job(done: int, total: int = 10, state: str = "running") -> ScoringJob:
    return ScoringJob(
        id=JOB_ID, state=state, total=total, scored=done, failed=0,
        report_json_key=None, report_csv_key=None, error=None,
    )  # fmt: skip


JOB_ID = uuid.uuid4()


def test_progress_never_goes_back_and_nothing_follows_completed(
    redis_client: redis.Redis,
) -> None:
    events = JobEventPublisher(redis_client, max_len=1000, ttl_seconds=60)
    assert len(events.progress(_job(0))) == 1
    assert len(events.progress(_job(6))) == 1
    # A chunk that committed earlier but published later carries no news.
    assert events.progress(_job(4)) == []
    assert events.progress(_job(6)) == []
    failures = [{"company_id": str(uuid.uuid4()), "code": "incomplete_assessment", "reason": "x"}]
    assert len(events.progress(_job(8), failures)) == 2
    assert len(events.completed(_job(10, state="succeeded"))) == 1
    assert events.progress(_job(10)) == []
    assert events.completed(_job(10, state="succeeded")) == []
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], redis_client.xrange(stream_key(JOB_ID)))
    kinds = [fields[b"event"].decode() for _, fields in entries]
    assert kinds == ["progress", "progress", "company_failed", "progress", "completed"]
    done = [
        json.loads(fields[b"data"])["done"]
        for _, fields in entries
        if fields[b"event"] == b"progress"
    ]
    assert done == [0, 6, 8]
    assert 0 < redis_client.ttl(stream_key(JOB_ID)) <= 60
