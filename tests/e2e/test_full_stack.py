"""The whole platform as compose runs it, driven only through the gateway's public port.

redis, the embedded S3 server, init, scoring, worker and gateway run as separate OS
processes with compose.yaml's commands and environment (tests/e2e/compose_stack.py);
an in-test OTLP receiver stands in for the collector. The flow is one analyst's day
(tests/e2e/analyst_day.py), the same one tests/docker drives through containers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgair_cli.devstack import ProcessGroup, ProcessSpec, free_port, http_ok
from tests.e2e.analyst_day import analysts_day
from tests.e2e.compose_stack import (
    REPO_ROOT,
    LoopbackNetwork,
    load_compose,
    process_environment,
    service_command,
)
from tests.e2e.otlp_receiver import OtlpReceiver
from tests.support.servers import running_redis, running_s3


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

    def issue_admin_key(self) -> str:
        """The operator's CLI, with init's environment (the same database and secret)."""
        result = subprocess.run(
            [sys.executable, "-m", "orgair_cli.main", "keys", "create", "--role", "admin",
             "--name", "e2e operator"],
            env={**os.environ, **self.env["init"]}, cwd=REPO_ROOT / "tests",
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        key = result.stdout.strip().splitlines()[-1]
        self.secrets.append(key)
        return key

    def services_in_trace(self, trace_id: str) -> set[str]:
        return self.otlp.services_in_trace(trace_id)

    def fetch(self, url: str) -> bytes:
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, response.text
        return response.content


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


@pytest.mark.slow
def test_an_analysts_day_through_the_public_port(stack: Stack) -> None:
    analysts_day(stack)
