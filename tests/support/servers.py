"""Real servers for the tests, on loopback: Redis, the embedded S3 server, PostgreSQL, and
the Snowflake emulator (fakesnow's server mode, spoken to by the real Snowflake connector).

Started with the same specs `orgair dev` uses (orgair_cli.devstack).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orgair_cli.devstack import (
    ProcessGroup,
    ProcessSpec,
    free_port,
    port_open,
    redis_spec,
    s3_spec,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

__all__ = [
    "RedisServer",
    "free_port",
    "postgres_binaries",
    "running_postgres",
    "running_redis",
    "running_s3",
]


@dataclass
class RedisServer:
    url: str
    port: int
    group: ProcessGroup

    def stop(self) -> None:
        self.group.stop()

    def url_for(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@contextlib.contextmanager
def running_redis(name: str = "redis") -> Iterator[RedisServer]:
    log_dir = Path(tempfile.mkdtemp(prefix="orgair-test-redis-"))
    port = free_port()
    group = ProcessGroup(log_dir)
    group.start(redis_spec(port, data_dir=log_dir, name=name))
    try:
        yield RedisServer(f"redis://127.0.0.1:{port}/0", port, group)
    finally:
        group.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


@contextlib.contextmanager
def running_s3() -> Iterator[str]:
    log_dir = Path(tempfile.mkdtemp(prefix="orgair-test-s3-"))
    port = free_port()
    group = ProcessGroup(log_dir)
    group.start(s3_spec(port))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        group.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


@contextlib.contextmanager
def running_fakesnow() -> Iterator[str]:
    """fakesnow as an HTTP server (DuckDB underneath); yields its endpoint URL.

    Its databases live in memory for the life of the process. Started through
    `tests.support.fakesnow_server`, which fixes one emulator bug (see there).
    """
    log_dir = Path(tempfile.mkdtemp(prefix="orgair-test-fakesnow-"))
    port = free_port()
    group = ProcessGroup(log_dir)
    argv = [sys.executable, "-m", "tests.support.fakesnow_server", "-s", "--host", "127.0.0.1"]
    argv += ["-p", str(port)]
    group.start(
        ProcessSpec(
            name="fakesnow",
            argv=argv,
            ready=lambda: port_open("127.0.0.1", port),
            cwd=REPO_ROOT,
        )
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        group.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


def postgres_binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return str(Path(folder, "initdb")), str(Path(folder, "pg_ctl"))
    return None


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` system user then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root and no 'postgres' system user exists") from None
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A throw-away cluster; yields a SQLAlchemy URL for database `postgres`."""
    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    initdb, pg_ctl = binaries
    prefix = _as_postgres_user()
    base = Path(tempfile.mkdtemp(prefix="orgair-test-pg-"))
    data = base / "data"
    if prefix:
        shutil.chown(base, user="postgres")
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix, pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(base / "log"),
            "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)
