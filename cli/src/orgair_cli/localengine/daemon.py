"""The project's own dockerd: own data root, exec root, socket and pidfile.

`Engine.start()` starts Debian's dockerd (cgroupfs driver: these machines have v1
cgroups and no systemd) unless this engine's daemon already answers, and says whether
it started it, so a caller stops only a daemon it started (`make up-local` leaves its
daemon running; the stack test reuses it then, and otherwise starts and stops its own).
The data root lives under /var/lib (images and the BuildKit cache survive between
runs on the same machine); the exec root, socket and pidfile under /run.

Every docker command goes through `Engine.env()`: DOCKER_HOST names this socket,
Debian's client (/usr/bin/docker) comes first on PATH (a newer client elsewhere on
PATH wants a buildx plugin that is not installed), BuildKit is on, and the client's
configuration is private to the engine.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orgair_cli.localengine.commands import run, tail
from orgair_cli.localengine.errors import EngineError
from orgair_cli.localengine.install import DOCKERD

DEFAULT_HOME = Path(os.environ.get("ORGAIR_ENGINE_HOME", "/var/lib/orgair-engine"))
DEFAULT_RUN_DIR = Path(os.environ.get("ORGAIR_ENGINE_RUN_DIR", "/run/orgair-engine"))
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Engine:
    home: Path = DEFAULT_HOME
    run_dir: Path = DEFAULT_RUN_DIR

    @property
    def data_root(self) -> Path:
        return self.home / "docker"

    @property
    def exec_root(self) -> Path:
        return self.run_dir / "exec"

    @property
    def socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "dockerd.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "dockerd.log"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def env(self) -> dict[str, str]:
        """The environment of every docker / docker compose command against this engine."""
        path = os.environ.get("PATH", "")
        return {
            **os.environ,
            "DOCKER_HOST": self.host,
            "DOCKER_BUILDKIT": "1",
            "DOCKER_CONFIG": str(self.home / "client"),
            "PATH": f"/usr/bin:/usr/sbin:{path}",
        }

    # ------------------------------------------------------------------ state

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def answers(self, timeout: float = 10.0) -> bool:
        if not self.socket.exists():
            return False
        try:
            result = subprocess.run(
                ["/usr/bin/docker", "version", "--format", "{{.Server.Version}}"],
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (subprocess.TimeoutExpired, OSError):
            return False
        return result.returncode == 0 and bool(result.stdout.strip())

    def running(self) -> bool:
        return self.pid() is not None and self.answers()

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One start or stop at a time (a test and `make up-local` may race)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / "engine.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------- lifecycle

    def start(self, timeout: float = START_TIMEOUT) -> bool:
        """Make this engine's daemon answer; True when this call started it."""
        if not DOCKERD.exists():
            raise EngineError(f"engine: {DOCKERD} is missing (install docker.io first)")
        with self._lock():
            if self.running():
                return False
            stale = self.pid()
            if stale is not None:
                raise EngineError(
                    f"engine: dockerd pid {stale} holds {self.pidfile} but does not answer on "
                    f"{self.socket}; see {self.log_file}"
                )
            for directory in (self.data_root, self.exec_root, self.home / "client"):
                directory.mkdir(parents=True, exist_ok=True)
            argv = [
                str(DOCKERD),
                "--data-root",
                str(self.data_root),
                "--exec-root",
                str(self.exec_root),
                "--pidfile",
                str(self.pidfile),
                "-H",
                self.host,
                "--exec-opt",
                "native.cgroupdriver=cgroupfs",
                "--log-level",
                "warn",
            ]
            with self.log_file.open("ab") as log:
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=self.env(),
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise EngineError(
                        f"engine: dockerd exited {process.returncode} at start\n"
                        f"{tail(self.log_file.read_text(errors='replace'))}"
                    )
                if self.answers(timeout=5):
                    return True
                time.sleep(0.5)
            self._terminate(process.pid)
            raise EngineError(
                f"engine: dockerd did not answer on {self.socket} within {timeout:g} s\n"
                f"{tail(self.log_file.read_text(errors='replace'))}"
            )

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop this engine's daemon (its containers stop with it); True if one ran."""
        with self._lock():
            pid = self.pid()
            if pid is None:
                return False
            self._terminate(pid, timeout)
            return True

    def _terminate(self, pid: int, timeout: float = STOP_TIMEOUT) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid_alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.2)
        if _pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    # ------------------------------------------------------------------- use

    def docker(
        self, *args: str, step: str, timeout: float, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run(
            ["/usr/bin/docker", *args],
            step=step,
            timeout=timeout,
            env=self.env(),
            cwd=cwd,
            check=check,
        )
