"""Run the compose stack's services as local processes, from compose.yaml itself.

Each orgair service (init, scoring, worker, gateway) is started with the `command`
and `environment` compose gives it, so the test and compose cannot drift. Only what
separates a compose network from one machine is translated: service host names
become 127.0.0.1 with the ports this test owns, bind addresses 0.0.0.0 become
127.0.0.1 (servers in tests listen on loopback only), and the `/data` volume is a
temporary folder. Redis and S3 are the embedded servers; an in-test OTLP/HTTP
receiver stands in for the collector.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "compose.yaml"
ORGAIR_SERVICES = ("init", "scoring", "worker", "gateway")

_INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` forms."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        present = name in env
        current = env.get(name, "")
        if op in (":-", "-"):
            use_default = not current if op == ":-" else not present
            return arg if use_default else current
        if op in (":?", "?"):
            missing = not current if op == ":?" else not present
            if missing:
                raise KeyError(f"compose requires {name}: {arg}")
            return current
        return current

    return _INTERPOLATION.sub(replace, value)


@dataclass
class LoopbackNetwork:
    """Where each compose service's address points on this machine."""

    redis_port: int
    s3_port: int
    otlp_port: int
    scoring_port: int
    gateway_port: int
    worker_metrics_port: int
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def translate(self, name: str, value: str) -> str:
        hosts = {
            "redis:6379": f"127.0.0.1:{self.redis_port}",
            "localstack:4566": f"127.0.0.1:{self.s3_port}",
            "otel-collector:4318": f"127.0.0.1:{self.otlp_port}",
            "scoring:8001": f"127.0.0.1:{self.scoring_port}",
        }
        for compose_address, local in hosts.items():
            value = value.replace(f"//{compose_address}", f"//{local}")
        value = value.replace("sqlite:////data/", f"sqlite:///{self.data_dir}/")
        if value == "0.0.0.0":
            value = "127.0.0.1"
        if name == "SCORING_PORT":
            value = str(self.scoring_port)
        if name == "GATEWAY_PORT":
            value = str(self.gateway_port)
        if name == "WORKER_METRICS_PORT":
            value = str(self.worker_metrics_port)
        return value


def service_environment(
    compose: dict[str, Any], service: str, network: LoopbackNetwork, host_env: Mapping[str, str]
) -> dict[str, str]:
    """The environment compose gives `service`, translated to this machine."""
    declared = compose["services"][service].get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    env: dict[str, str] = {}
    for name, raw in declared.items():
        value = "" if raw is None else interpolate(str(raw), host_env)
        env[name] = network.translate(name, value)
    return env


def service_command(compose: dict[str, Any], service: str) -> list[str]:
    """The service's command, run with this test's interpreter and virtual environment."""
    command = [str(part) for part in compose["services"][service]["command"]]
    executable = command[0]
    if executable in {"python", "python3"}:
        command[0] = sys.executable
    else:
        local = Path(sys.executable).parent / executable
        command[0] = str(local) if local.exists() else (shutil.which(executable) or executable)
    return command


def process_environment(
    compose: dict[str, Any], service: str, network: LoopbackNetwork, host_env: Mapping[str, str]
) -> dict[str, str]:
    """PATH and friends from the test process, plus exactly what compose declares."""
    base = {
        key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}
    }
    return {**base, **service_environment(compose, service, network, host_env), **network.extra_env}
