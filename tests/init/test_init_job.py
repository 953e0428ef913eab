"""The init job as compose runs it: `python -m orgair_init`, a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from orgair_cli.devstack import ProcessGroup, redis_spec
from orgair_config import Settings
from tests.support.servers import free_port


def run_init(settings_env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_init"],
        env={**os.environ, **settings_env, "LOG_FORMAT": "json"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "SECRET_KEY": settings.SECRET_KEY.get_secret_value(),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL or "",
        "S3_BUCKET": settings.S3_BUCKET,
        "PREFLIGHT_TIMEOUT_SECONDS": "1",
    }


def industry_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM industries")).scalar_one())
    finally:
        engine.dispose()


def test_passes_with_everything_up_and_is_idempotent(settings: Settings, tmp_path: Path) -> None:
    env = env_of(settings) | {"S3_BUCKET": "orgair-init-creates-this"}
    first = run_init(env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert industry_count(settings.database_url) == 8
    second = run_init(env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert industry_count(settings.database_url) == 8


def closed_port_url(scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    ("override", "named"),
    [
        (lambda: {"DATABASE_URL": f"postgresql+psycopg://orgair:hunter2-db-secret@127.0.0.1:"
                                  f"{free_port()}/orgair"}, "database"),
        (lambda: {"REDIS_URL": closed_port_url("redis") + "/0"}, "redis"),
        (lambda: {"CELERY_BROKER_URL": "redis://:hunter2-broker@127.0.0.1:"
                                       f"{free_port()}/1"}, "broker"),
        (lambda: {"S3_ENDPOINT_URL": closed_port_url("http")}, "s3"),
    ],
)  # fmt: skip
def test_each_dependency_down_fails_naming_it(
    settings: Settings,
    tmp_path: Path,
    override: Callable[[], dict[str, str]],
    named: str,
) -> None:
    result = run_init(env_of(settings) | override(), tmp_path)
    assert result.returncode == 3
    failure_lines = [line for line in result.stderr.splitlines() if "preflight failed" in line]
    assert len(failure_lines) == 1, result.stderr
    assert failure_lines[0].startswith(f"init: preflight failed: {named} (")
    assert "Traceback" not in result.stderr
    combined = result.stdout + result.stderr
    assert "hunter2" not in combined
    assert settings.SECRET_KEY.get_secret_value() not in combined
    # A failed preflight stops the job before it migrates anything.
    if named != "database":
        engine = create_engine(settings.database_url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_a_dependency_that_starts_late_is_waited_for(settings: Settings, tmp_path: Path) -> None:
    """Redis comes up after init has started checking it (as in compose): each failed
    attempt is logged, the check is retried with back-off and passes."""
    port = free_port()
    env = env_of(settings) | {
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "PREFLIGHT_TIMEOUT_SECONDS": "60",
    }
    init = subprocess.Popen(
        [sys.executable, "-m", "orgair_init"],
        env={**os.environ, **env, "LOG_FORMAT": "json"}, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert init.stderr is not None
    late_redis = ProcessGroup(tmp_path / "late-redis")
    lines: list[dict[str, object]] = []
    try:
        for text_line in init.stderr:
            line = json.loads(text_line)
            lines.append(line)
            waiting = line.get("event") == "preflight_waiting"
            if waiting and line["dependency"] == "redis" and not late_redis.running:
                late_redis.start(redis_spec(port, data_dir=tmp_path))
        init.wait(timeout=120)
    finally:
        init.kill()
        late_redis.stop()
    assert init.returncode == 0, lines
    waited = [line for line in lines if line.get("event") == "preflight_waiting"]
    assert waited and {line["dependency"] for line in waited} == {"redis"}
    assert "ConnectionError" in str(waited[0]["reason"])
    checks = {line["dependency"]: line for line in lines if line.get("event") == "preflight_check"}
    assert checks["redis"]["ok"] is True
    assert checks["redis"]["attempts"] == len(waited) + 1
    assert checks["database"]["attempts"] == 1


def test_production_does_not_create_the_bucket(settings: Settings, tmp_path: Path) -> None:
    env = env_of(settings) | {"S3_BUCKET": "orgair-prod-missing"}
    # Production refuses local endpoints and SQLite at start, before any check runs.
    result = run_init(env | {"APP_ENV": "production"}, tmp_path)
    assert result.returncode == 2
    assert "S3_ENDPOINT_URL" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_line_per_problem(tmp_path: Path) -> None:
    result = run_init({"SECRET_KEY": "", "W_CULTURE": "0.5"}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("init: configuration error: ") for line in lines)
    assert "Traceback" not in result.stderr


def test_wait_for_migrations(settings: Settings, tmp_path: Path) -> None:
    env = env_of(settings) | {"PREFLIGHT_TIMEOUT_SECONDS": "0.3"}
    waiting = subprocess.run(
        [sys.executable, "-m", "orgair_init", "wait-for-migrations"],
        env={**os.environ, **env}, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert waiting.returncode == 6
    assert "not at the latest revision" in waiting.stderr
    assert run_init(env_of(settings), tmp_path).returncode == 0
    ready = subprocess.run(
        [sys.executable, "-m", "orgair_init", "wait-for-migrations"],
        env={**os.environ, **env}, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ready.returncode == 0, ready.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "orgair_init", "bogus"],
        env={**os.environ, **env}, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 2 and "usage" in unknown.stderr


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_cli.main", *args],
        env={**os.environ, **env, "LOG_FORMAT": "json"},
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["init", "orgair preflight"])
def test_unusable_urls_are_one_line_each_and_exit_2(command: str, tmp_path: Path) -> None:
    """Every kind of unusable URL is covered in tests/config; here, that the entry
    points print them as lines, not tracebacks."""
    env = {
        "SECRET_KEY": "a-secret-key-for-this-test-only",
        "DATABASE_URL": "postgresql+psycopg://orgair:hunter2@db:notaport/orgair",
        "REDIS_URL": "redis://:hunter2@localhost:abc/0",
        "S3_ENDPOINT_URL": "localhost:4566",
    }
    result = run_init(env, tmp_path) if command == "init" else run_cli(["preflight"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    named = sorted(line.split(": ")[2] for line in lines)
    assert named == ["DATABASE_URL", "REDIS_URL", "S3_ENDPOINT_URL"]
    assert all(line.startswith(f"{command}: configuration error: ") for line in lines)
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_preflight_prints_one_whole_line_per_dependency(settings: Settings, tmp_path: Path) -> None:
    dead = free_port()
    env = env_of(settings) | {
        "DATABASE_URL": f"postgresql+psycopg://orgair:hunter2@127.0.0.1:{dead}/orgair",
        "REDIS_URL": f"redis://:hunter2@127.0.0.1:{dead}/0",
        "CELERY_BROKER_URL": f"redis://:hunter2@127.0.0.1:{dead}/1",
    }
    result = run_cli(["preflight"], env, tmp_path)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "orgair preflight: database", "orgair preflight: redis", "orgair preflight: s3",
    ]  # fmt: skip
    database, redis_line, s3 = lines
    assert ": FAILED after " in database and "OperationalError" in database
    assert database.endswith("Connection refused"), database  # the whole reason, not cut off
    assert ": FAILED after " in redis_line and ": ok after " in s3
    assert "hunter2" not in result.stdout + result.stderr
    assert "│" not in result.stderr and "…" not in result.stderr


def test_an_unforeseen_failure_of_a_command_is_one_line(settings: Settings, tmp_path: Path) -> None:
    dead = free_port()
    env = env_of(settings) | {
        "DATABASE_URL": f"postgresql+psycopg://orgair:hunter2@127.0.0.1:{dead}/orgair"
    }
    result = run_cli(["keys", "list"], env, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("orgair: OperationalError: "), result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
