"""The worker leaves when its broker is gone past WORKER_BROKER_LOST_EXIT_SECONDS.

The rules on a clock the test moves; then a real worker process whose Redis is frozen
(SIGSTOP: connections stay open, nothing answers, as under `docker pause`) exits on its
own with a non-zero status, its heartbeat gone stale first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orgair_cli.devstack import ProcessGroup, redis_spec, worker_spec
from orgair_worker.broker_watch import EXIT_STATUS, BrokerWatch
from tests.conftest import TEST_SECRET_KEY
from tests.support.servers import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_watch(answers: list[bool], clock: Clock) -> tuple[BrokerWatch, list[str]]:
    calls: list[str] = []
    watch = BrokerWatch(
        lambda: answers.pop(0), interval=10, exit_after=60, clock=clock,
        terminate=lambda: calls.append("terminate"), exit_now=lambda code: calls.append(f"exit {code}"),
        grace=0,
    )  # fmt: skip
    return watch, calls


def test_a_broker_that_answers_keeps_the_worker() -> None:
    clock = Clock()
    watch, _ = make_watch([True] * 20, clock)
    for _ in range(20):
        clock.now += 10
        watch.loop_turned()
        assert watch.check_once() is None
        assert watch.broker_recently_ok()


def test_a_short_outage_is_ridden_out_and_a_long_one_ends_the_worker() -> None:
    clock = Clock()
    watch, calls = make_watch([False] * 5 + [True] + [False] * 7, clock)
    for _ in range(5):  # 50 s without an answer: below the bound
        clock.now += 10
        watch.loop_turned()
        assert watch.check_once() is None
    assert not watch.broker_recently_ok()  # no heartbeat meanwhile
    clock.now += 10
    assert watch.check_once() is None and watch.broker_recently_ok()  # back
    reasons = []
    for _ in range(7):
        clock.now += 10
        watch.loop_turned()
        reasons.append(watch.check_once())
    assert reasons[:6] == [None] * 6
    assert reasons[6] == "broker unreachable for 70 s"
    watch._exit(reasons[6])
    assert calls == ["terminate", f"exit {EXIT_STATUS}"]


def test_a_silent_event_loop_ends_the_worker_even_with_a_broker() -> None:
    clock = Clock()
    watch, _ = make_watch([True] * 10, clock)
    clock.now += 61
    assert watch.check_once() == "consumer event loop silent for 61 s"


def test_a_worker_whose_broker_freezes_exits_past_the_bound(tmp_path: Path) -> None:
    port = free_port()
    redis_group = ProcessGroup(tmp_path / "redis")
    redis_group.start(redis_spec(port, data_dir=tmp_path))
    redis_pid = redis_group.running[0].process.pid
    heartbeat = tmp_path / "worker.heartbeat"
    env = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/1",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{port}/2",
        "WORKER_HEARTBEAT_FILE": str(heartbeat),
        "WORKER_HEARTBEAT_INTERVAL_SECONDS": "0.5",
        "WORKER_BROKER_LOST_EXIT_SECONDS": "4",
        "WORKER_CONCURRENCY": "1",
        "WORKER_METRICS_PORT": "0",
        "LOG_FORMAT": "json",
    }
    workers = ProcessGroup(tmp_path / "logs", base_env=env)
    try:
        workers.start(worker_spec(heartbeat, env=env, cwd=tmp_path))
        worker = workers.running[0].process
        os.kill(redis_pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        stale = None
        while worker.poll() is None:
            assert time.monotonic() - frozen_at < 60, "worker stayed up with a frozen broker"
            probe = subprocess.run(
                [sys.executable, "-m", "orgair_worker", "healthcheck"], env=env, cwd=tmp_path,
                capture_output=True, timeout=30, check=False,
            )  # fmt: skip
            if probe.returncode != 0 and stale is None:
                stale = time.monotonic() - frozen_at
            time.sleep(0.3)
        exited = time.monotonic() - frozen_at
        assert worker.returncode != 0
        assert stale is not None and stale < exited
        assert exited >= 4  # not before the bound
    finally:
        os.kill(redis_pid, signal.SIGCONT)
        workers.stop()
        redis_group.stop()
    events = [json.loads(line)["event"] for line in
              (tmp_path / "logs" / "worker.log").read_text().splitlines() if line.startswith("{")]  # fmt: skip
    assert "broker_lost_exiting" in events
