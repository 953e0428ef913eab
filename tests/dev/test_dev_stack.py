"""`orgair dev` (what `make dev` runs) from a fresh folder: up, usable, and gone on Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from orgair_cli.devstack import port_open
from tests.conftest import REPO_ROOT
from tests.support.servers import free_port

MARKER = "ORGAIR_TEST_DEV_MARKER"


def processes_with(marker_value: str) -> list[int]:
    """Pids of live processes whose environment carries the marker (inherited by children)."""
    needle = f"{MARKER}={marker_value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:  # zombies are already dead
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find leftover processes")
def test_dev_stack_comes_up_serves_and_stops_cleanly(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env.example")
    marker = uuid.uuid4().hex
    redis_port, s3_port, scoring_port, gateway_port = (free_port() for _ in range(4))
    env = {
        **os.environ,
        MARKER: marker,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{redis_port}/2",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "SCORING_PORT": str(scoring_port),
        "GATEWAY_PORT": str(gateway_port),
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "orgair_cli.main", "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(runner.stdout.readline, "")) if runner.stdout else None,
        daemon=True,
    )
    reader.start()
    scoring = f"http://127.0.0.1:{scoring_port}"
    base = f"http://127.0.0.1:{gateway_port}"
    try:
        deadline = time.monotonic() + 180
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert runner.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "stack did not become ready"
            time.sleep(0.5)
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        printed = re.search(r"admin API key \(shown once, keep it\): (oair_\w+)", "".join(lines))
        assert printed, "".join(lines)
        admin = {"Authorization": f"Bearer {printed.group(1)}"}

        dotenv = (tmp_path / ".env").read_text()
        assert "SECRET_KEY=change-me" not in dotenv
        assert any(
            line.startswith("SECRET_KEY=") and len(line) > 50 for line in dotenv.splitlines()
        )
        assert (tmp_path / ".env").stat().st_mode & 0o077 == 0

        company = {"name": "Dev Co", "industry_id": "550e8400-e29b-41d4-a716-446655440006"}
        created = httpx.post(f"{base}/api/v1/companies", json=company, headers=admin)
        assert created.status_code == 201, created.text
        fetched = httpx.get(f"{base}/api/v1/companies/{created.json()['id']}", headers=admin)
        assert fetched.json()["name"] == "Dev Co"
        # Only the gateway opens the API: without a key, or straight to scoring, it is 401.
        assert httpx.get(f"{base}/api/v1/industries").status_code == 401
        assert httpx.get(f"{scoring}/api/v1/industries").status_code == 401
        assert (tmp_path / "var" / "orgair.db").exists()
        # runner, s3, scoring, gateway (redis-server rewrites its environ block for its
        # process title, so it is checked by its port below)
        assert len(processes_with(marker)) >= 4
        assert port_open("127.0.0.1", redis_port)
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()
        reader.join(timeout=10)
    output = "".join(lines)
    assert runner.returncode == 0, output
    assert "stopped" in output
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
    for port in (redis_port, s3_port, scoring_port, gateway_port):
        assert not port_open("127.0.0.1", port), port
