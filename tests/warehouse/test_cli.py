"""`orgair export snowflake` and `orgair warehouse …` as an operator runs them: a process,
its exit code, one summary line or one error line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orgair_config import Settings
from orgair_warehouse.docs import tables_markdown
from orgair_warehouse.lock import ExportLock
from orgair_warehouse.platform import platform_tables
from tests.conftest import REPO_ROOT
from tests.warehouse.portfolio import build_portfolio

DOCS = REPO_ROOT / "docs" / "warehouse-tables.md"


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment a deployment would give the command."""
    env = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    for name in (
        "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE",
        "SNOWFLAKE_SCHEMA", "SNOWFLAKE_ENDPOINT_URL", "WAREHOUSE_EXPORT_SETTLE_SECONDS",
        "WAREHOUSE_EXPORT_MAX_ATTEMPTS", "LLM_CONNECT_TIMEOUT_SECONDS",
        "LLM_REQUEST_TIMEOUT_SECONDS",
    ):  # fmt: skip
        value = getattr(settings, name)
        env[name] = str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)
    return env


def orgair(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_line(stream: str) -> str:
    lines = [line for line in stream.splitlines() if line.strip()]
    assert len(lines) == 1, stream
    return lines[0]


def test_export_prints_one_summary_line_and_a_rerun_merges_nothing(
    client: TestClient, settings: Settings, warehouse: Engine, tmp_path: Path
) -> None:
    build_portfolio(client, settings)
    env = settings_env(settings)
    first = orgair("export", "snowflake", "--batch-size", "3", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    line = only_line(first.stderr)
    assert line.startswith("export snowflake: ") and "rows merged into 20 of 20 tables" in line
    assert "(api_keys 2," in line and "created _export_state" in line
    assert first.stdout == ""
    again = orgair("export", "snowflake", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert only_line(again.stderr).startswith("export snowflake: 0 rows merged into 0 of 20")

    verified = orgair("warehouse", "verify", env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert only_line(verified.stderr) == "warehouse verify: 20 tables match the source"
    assert all(": ok (" in line for line in verified.stdout.splitlines())
    for secret in (settings.SNOWFLAKE_PASSWORD, settings.SECRET_KEY):
        assert secret is not None
        assert secret.get_secret_value() not in first.stderr + again.stderr + verified.stdout


def test_a_failed_export_is_one_line_and_a_non_zero_exit(
    settings: Settings, warehouse: Engine, tmp_path: Path
) -> None:
    env = settings_env(settings) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    failed = orgair("export", "snowflake", env=env, cwd=tmp_path)
    assert failed.returncode == 1
    line = only_line(failed.stderr)
    assert line == (
        "orgair export snowflake: failed: api_keys: OperationalError: no such table: api_keys"
    )
    assert "Traceback" not in failed.stderr


def test_an_export_waits_for_none_while_another_holds_the_lock(
    settings: Settings, warehouse: Engine, tmp_path: Path
) -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    lock = ExportLock(broker, 30)
    assert lock.acquire()
    try:
        skipped = orgair("export", "snowflake", env=settings_env(settings), cwd=tmp_path)
    finally:
        lock.release()
        broker.close()
    assert skipped.returncode == 1
    assert only_line(skipped.stderr) == (
        "orgair export snowflake: skipped: another export is running (it holds the export lock)"
    )


def test_without_a_warehouse_the_commands_say_what_to_set(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    env["SECRET_KEY"] = "dev-secret"
    for command in (("export", "snowflake"), ("warehouse", "verify"), ("warehouse", "schema")):
        result = orgair(*command, env=env, cwd=tmp_path, timeout=60)
        assert result.returncode == 2, result.stderr
        assert only_line(result.stderr).endswith(
            "no warehouse configured: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, "
            "SNOWFLAKE_PASSWORD and SNOWFLAKE_WAREHOUSE"
        )


def test_schema_sql_needs_no_connection_and_docs_are_current(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    ddl = orgair("warehouse", "schema", "--sql", env=env, cwd=tmp_path, timeout=60)
    assert ddl.returncode == 0, ddl.stderr
    assert ddl.stdout.count("CREATE TABLE IF NOT EXISTS") == 21
    docs = orgair("warehouse", "docs", env=env, cwd=tmp_path, timeout=60)
    assert docs.returncode == 0, docs.stderr
    assert docs.stdout == tables_markdown(platform_tables())
    if docs.stdout != DOCS.read_text():
        pytest.fail(
            "docs/warehouse-tables.md is stale: run "
            "`uv run orgair warehouse docs > docs/warehouse-tables.md`"
        )
