"""The LocalStack ready hook (creates S3_BUCKET) and the LocalStack healthcheck.

The hook runs for real with a stand-in `awslocal` on PATH that records its
arguments; the healthcheck runs against a local HTTP server that answers like
LocalStack's `/_localstack/health` and `/_localstack/init/ready`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .checks import REPO_ROOT

HOOK_DIR = REPO_ROOT / "infra" / "localstack" / "ready.d"
HOOKS = sorted(HOOK_DIR.glob("*.sh"))
HEALTHCHECK = REPO_ROOT / "infra" / "localstack" / "healthcheck.py"

BASH = shutil.which("bash")


def test_there_is_a_ready_hook() -> None:
    assert HOOKS, f"no *.sh hook in {HOOK_DIR}"


@pytest.mark.parametrize("hook", HOOKS, ids=lambda p: p.name)
def test_hook_is_an_executable_script_about_s3_bucket(hook: Path) -> None:
    # LocalStack executes .sh hooks directly: they need the x bit and a shebang.
    assert hook.stat().st_mode & stat.S_IXUSR, f"{hook.name} is not executable"
    text = hook.read_text()
    assert text.startswith("#!/bin/bash\n") or text.startswith("#!/bin/sh\n")
    assert "S3_BUCKET" in text


def test_hook_is_executable_in_git() -> None:
    # The x bit must survive a clone: check the mode git records.
    git = shutil.which("git")
    assert git is not None and (REPO_ROOT / ".git").exists(), "CI runs on a git clone"
    for hook in HOOKS:
        relative = hook.relative_to(REPO_ROOT).as_posix()
        listed = subprocess.run(
            [git, "ls-files", "-s", "--", relative],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert listed, f"{relative} is not committed"
        assert listed.startswith("100755"), listed


# ------------------------------------------------------ running the hook


FAKE_AWSLOCAL = """#!/bin/sh
echo "$*" >> "$AWSLOCAL_LOG"
case "$1 $2" in
  "s3api head-bucket") exit "${HEAD_BUCKET_RC:-254}" ;;
esac
exit 0
"""


@pytest.fixture
def fake_awslocal(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "awslocal"
    tool.write_text(FAKE_AWSLOCAL)
    tool.chmod(0o755)
    return bin_dir


def run_hook(bin_dir: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    assert BASH is not None, "the hook is a bash script: bash must be installed"
    log = bin_dir.parent / "awslocal.log"
    log.unlink(missing_ok=True)
    full_env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AWSLOCAL_LOG": str(log),
        **env,
    }
    # LocalStack calls the file itself (shebang), as done here.
    result = subprocess.run(
        [str(HOOKS[0])], env=full_env, capture_output=True, text=True, timeout=30, check=False
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_hook_creates_the_bucket(fake_awslocal: Path) -> None:
    result, calls = run_hook(
        fake_awslocal, S3_BUCKET="orgair-reports", AWS_DEFAULT_REGION="us-east-1"
    )
    assert result.returncode == 0, result.stderr
    assert calls == [
        "s3api head-bucket --bucket orgair-reports",
        "s3api create-bucket --bucket orgair-reports",
    ]


def test_hook_sets_the_location_outside_us_east_1(fake_awslocal: Path) -> None:
    result, calls = run_hook(fake_awslocal, S3_BUCKET="orgair-eu", AWS_DEFAULT_REGION="eu-west-1")
    assert result.returncode == 0, result.stderr
    assert calls[-1] == (
        "s3api create-bucket --bucket orgair-eu "
        "--create-bucket-configuration LocationConstraint=eu-west-1"
    )


def test_hook_is_idempotent(fake_awslocal: Path) -> None:
    result, calls = run_hook(fake_awslocal, S3_BUCKET="orgair-reports", HEAD_BUCKET_RC="0")
    assert result.returncode == 0, result.stderr
    assert calls == ["s3api head-bucket --bucket orgair-reports"]
    assert "already exists" in result.stdout


def test_hook_fails_without_s3_bucket(fake_awslocal: Path) -> None:
    result, calls = run_hook(fake_awslocal)
    assert result.returncode != 0
    assert "S3_BUCKET" in result.stderr
    assert calls == []


def test_compose_gives_localstack_the_hook_and_the_bucket_name(compose_doc: dict[str, Any]) -> None:
    svc = compose_doc["services"]["localstack"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    assert mounts["/etc/localstack/init/ready.d"] == "./infra/localstack/ready.d"
    # The same bucket the services use.
    assert svc["environment"]["S3_BUCKET"] == compose_doc["x-orgair-env"]["S3_BUCKET"]
    # The healthcheck script is mounted where the healthcheck runs it, outside ready.d.
    script = svc["healthcheck"]["test"][-1]
    assert mounts[script] == "./infra/localstack/healthcheck.py"
    assert not script.startswith("/etc/localstack/init/")


# --------------------------------------------------- the healthcheck script


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("localstack_healthcheck", HEALTHCHECK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeLocalStack:
    """Answers the two endpoints the healthcheck reads, with settable bodies."""

    def __init__(self) -> None:
        self.health: Any = {
            "services": {"s3": "running", "sqs": "disabled"},
            "edition": "community",
        }
        self.ready: Any = {
            "completed": True,
            "scripts": [{"stage": "READY", "name": "10-create-bucket.sh", "state": "SUCCESSFUL"}],
        }
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = {"/_localstack/health": fake.health, "/_localstack/init/ready": fake.ready}
                if self.path not in body:
                    self.send_error(404)
                    return
                payload = json.dumps(body[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeLocalStack:
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def localstack() -> Iterator[FakeLocalStack]:
    with FakeLocalStack() as fake:
        yield fake


def test_healthy_when_s3_runs_and_hooks_succeeded(localstack: FakeLocalStack) -> None:
    assert load_healthcheck().check(localstack.url) is None
    localstack.health["services"]["s3"] = "available"
    assert load_healthcheck().check(localstack.url) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: f.health["services"].pop("s3"), "S3 is not enabled"),
        (lambda f: f.health["services"].update(s3="error"), "S3 is error"),
        (lambda f: f.ready.update(completed=False), "have not completed"),
        (lambda f: f.ready["scripts"][0].update(state="ERROR"), "failed: 10-create-bucket.sh"),
        (lambda f: f.ready["scripts"][0].update(state="RUNNING"), "failed: 10-create-bucket.sh"),
    ],
    ids=["s3 disabled", "s3 error", "hooks pending", "hook failed", "hook running"],
)
def test_unhealthy_reasons(localstack: FakeLocalStack, change: Any, reason: str) -> None:
    change(localstack)
    problem = load_healthcheck().check(localstack.url)
    assert problem is not None and reason in problem, problem


def test_unhealthy_when_nothing_listens() -> None:
    with FakeLocalStack() as fake:
        url = fake.url
    problem = load_healthcheck().check(url, timeout=1)
    assert problem is not None and "not answering" in problem


def test_exit_codes_as_a_docker_healthcheck(localstack: FakeLocalStack) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(HEALTHCHECK)],
            env={**os.environ, "LOCALSTACK_HEALTH_URL": localstack.url},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    healthy = run()
    assert healthy.returncode == 0, healthy.stderr
    localstack.ready["completed"] = False
    unhealthy = run()
    assert unhealthy.returncode == 1
    assert unhealthy.stderr.startswith("unhealthy:")
