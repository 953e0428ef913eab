"""The containerized platform as the tests see it: the public port plus docker's view.

`DockerPlatform` is the `Platform` of tests/e2e/analyst_day.py for a compose project
on the local engine: keys minted in the gateway's image, spans read from the OTLP
stand-in's log, container logs from `docker compose logs`, presigned S3 URLs fetched
from inside the compose network (S3 is not published). The rest are bounded waits
on what docker reports (restart counts, health, the main process of a container).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from orgair_cli.localengine.stack import LocalStack

# Figure name -> value, printed at the end of the run (tests/docker/conftest.py).
FIGURES: dict[str, str] = {}
APP_SERVICES = ("init", "scoring", "worker", "gateway")
NEVER_STARTED = "0001-01-01T00:00:00Z"


def override_yaml() -> str:
    """The test's own override: containers get exactly what compose.yaml declares, never
    a developer's .env (compose would pass it to every orgair service); the gateway lets
    the one admin key of the run make the restart scenarios' hundreds of calls a minute
    (rate limits are tested in tests/gateway)."""
    lines = ["services:"]
    for name in APP_SERVICES:
        lines += [f"  {name}:", "    env_file: !reset []"]
        if name == "gateway":
            lines += ["    environment:", '      RATE_LIMIT_PER_MINUTE: "1000"']
    return "\n".join(lines) + "\n"


def docker_time(value: str) -> datetime:
    """Docker's RFC 3339 timestamps (nanoseconds, trailing zeros trimmed) as datetimes."""
    seconds, _, fraction = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{seconds}.{(fraction or '0')[:6]:0<6}+00:00")


def wait_for(what: str, check: Callable[[], bool], *, timeout: float, every: float = 0.5) -> float:
    """Seconds until `check()` held; AssertionError naming `what` past `timeout`."""
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < timeout, f"{what}: not within {timeout:g} s"
        time.sleep(every)
    return time.monotonic() - started


@dataclass
class DockerPlatform:
    stack: LocalStack
    gateway: str
    secrets: list[str]
    responses: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ Platform

    def issue_admin_key(self) -> str:
        key = self.stack.issue_key("admin", "stack-test operator")
        self.secrets.append(key)
        return key

    def services_in_trace(self, trace_id: str) -> set[str]:
        services = set()
        for line in self.stack.logs("otel-collector"):
            if line.startswith("{"):
                span = json.loads(line)
                if span.get("event") == "span_received" and span["trace_id"] == trace_id:
                    services.add(span["service"])
        return services

    def log_lines(self, service: str) -> list[str]:
        return self.stack.logs(service)

    def fetch(self, url: str) -> bytes:
        script = (
            "import sys, urllib.request as r;"
            "sys.stdout.write(r.urlopen(sys.argv[1], timeout=30).read().decode())"
        )
        result = self.stack.compose("exec", "-T", "gateway", "python", "-c", script, url,
                                    step="fetch a presigned URL", timeout=60)  # fmt: skip
        return result.stdout.encode()

    # -------------------------------------------------------------- docker

    def inspect(self, service: str) -> dict[str, Any]:
        container = self.stack.container_id(service)
        result = self.stack.engine.docker("inspect", container, step=f"inspect {service}",
                                          timeout=30)  # fmt: skip
        document: list[dict[str, Any]] = json.loads(result.stdout)
        return document[0]

    def restart_count(self, service: str) -> int:
        return int(self.inspect(service)["RestartCount"])

    def health(self, service: str) -> str:
        state = self.inspect(service)["State"]
        return str((state.get("Health") or {}).get("Status", "none"))

    def main_process(self, service: str) -> int:
        """Host pid of the service's own process: the child of the container's init."""
        init_pid = int(self.inspect(service)["State"]["Pid"])
        children = Path(f"/proc/{init_pid}/task/{init_pid}/children").read_text().split()
        assert children, f"{service}: its init (pid {init_pid}) has no child"
        return int(children[0])

    def kill_main_process(self, service: str) -> int:
        pid = self.main_process(service)
        os.kill(pid, signal.SIGKILL)
        return pid

    def network(self) -> str:
        return f"{self.stack.project}_default"

    def blocked_brpops(self) -> list[str]:
        """Redis clients blocked in BRPOP (a worker's poll of the queue)."""
        result = self.stack.compose("exec", "-T", "redis", "redis-cli", "CLIENT", "LIST",
                                    step="redis CLIENT LIST", timeout=30)  # fmt: skip
        return [line for line in result.stdout.splitlines()
                if "cmd=brpop" in line and "flags=b" in line]  # fmt: skip

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.gateway}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False
