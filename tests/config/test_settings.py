"""Every settings rule rejects its bad case, accepts its good one, and never shows a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orgair_config import Settings, SettingsError, describe_validation_error, load_settings

GOOD_PRODUCTION: dict[str, Any] = {
    "APP_ENV": "production",
    "SECRET_KEY": "p" * 40,
    "OPENAI_API_KEY": "sk-live-abcdef",
    "DATABASE_URL": "postgresql+psycopg://orgair:pw@db.internal:5432/orgair",
    "S3_ENDPOINT_URL": "",
    "AWS_ACCESS_KEY_ID": "AKIAREALKEY12345",
    "AWS_SECRET_ACCESS_KEY": "real-secret-access-key-value",
}


def build(**values: Any) -> Settings:
    values.setdefault("SECRET_KEY", "dev-secret")
    return Settings(_env_file=None, **values)


def problems(**values: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        build(**values)
    return describe_validation_error(caught.value)


def test_defaults_match_the_lab_settings() -> None:
    settings = build()
    assert settings.APP_NAME == "PE Org-AI-R Platform"
    assert settings.APP_VERSION == "4.0.0"
    assert settings.APP_ENV == "development"
    assert settings.RATE_LIMIT_PER_MINUTE == 60
    assert settings.PARAM_VERSION == "v2.0"
    assert (settings.ALPHA_VR_WEIGHT, settings.BETA_SYNERGY_WEIGHT) == (0.60, 0.12)
    assert (settings.LAMBDA_PENALTY, settings.DELTA_POSITION) == (0.25, 0.15)
    assert settings.HITL_SCORE_CHANGE_THRESHOLD == 15.0
    assert settings.CACHE_TTL_SECTORS == 86400 and settings.CACHE_TTL_SCORES == 3600
    assert settings.database_url == "sqlite:///var/orgair.db"
    assert sum(settings.dimension_weights.values()) == pytest.approx(1.0)


def test_secret_key_is_required_and_not_empty() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert describe_validation_error(caught.value)[0].startswith("SECRET_KEY:")
    assert problems(SECRET_KEY="  ")[0].startswith("SECRET_KEY:")


def test_openai_key_must_start_with_sk() -> None:
    [line] = problems(OPENAI_API_KEY="pk-wrong-prefix")
    assert line.startswith("OPENAI_API_KEY:") and "sk-" in line
    assert "pk-wrong-prefix" not in line
    assert build(OPENAI_API_KEY="sk-good").OPENAI_API_KEY is not None
    assert build(OPENAI_API_KEY="").OPENAI_API_KEY is None  # empty line in .env = unset


@pytest.mark.parametrize(
    ("field", "bad", "good"),
    [
        ("RATE_LIMIT_PER_MINUTE", 0, 1000),
        ("RATE_LIMIT_PER_MINUTE", 1001, 1),
        ("ALPHA_VR_WEIGHT", 0.54, 0.70),
        ("BETA_SYNERGY_WEIGHT", 0.21, 0.08),
        ("LAMBDA_PENALTY", 0.51, 0.0),
        ("DELTA_POSITION", 0.09, 0.20),
        ("HITL_SCORE_CHANGE_THRESHOLD", 31, 5),
        ("HITL_EBITDA_PROJECTION_THRESHOLD", 4, 25),
        ("COST_ALERT_THRESHOLD_PCT", 1.1, 1.0),
        ("DAILY_COST_BUDGET_USD", -1, 0),
        ("LOG_LEVEL", "TRACE", "DEBUG"),
        ("LOG_FORMAT", "xml", "console"),
        ("APP_ENV", "prod", "staging"),
        ("PARAM_VERSION", "v3.0", "v1.0"),
    ],
)
def test_bounds(field: str, bad: object, good: object) -> None:
    lines = problems(**{field: bad})
    assert lines[0].startswith(f"{field}:"), lines
    assert getattr(build(**{field: good}), field) == good


def test_weights_must_sum_to_one() -> None:
    [line] = problems(W_CULTURE=0.2)
    assert "W_*" in line and "1.1000" in line
    # Within the ±0.001 tolerance is accepted.
    assert build(W_CULTURE=0.1009).W_CULTURE == 0.1009
    rebalanced = build(W_DATA_INFRA=0.28, W_CULTURE=0.0)
    assert rebalanced.dimension_weights["data_infrastructure"] == 0.28


def test_production_rules_each_named() -> None:
    lines = problems(APP_ENV="production", DEBUG=True, SECRET_KEY="short", OPENAI_API_KEY=None)
    joined = "\n".join(lines)
    for variable in ("DEBUG", "SECRET_KEY", "OPENAI_API_KEY", "DATABASE_URL",
                     "S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # fmt: skip
        assert any(line.startswith(variable) for line in lines), (variable, joined)
    assert "short" not in joined


def test_production_accepts_real_settings() -> None:
    settings = build(**GOOD_PRODUCTION)
    assert settings.is_production
    assert build(**(GOOD_PRODUCTION | {"OPENAI_API_KEY": None,
                                       "ANTHROPIC_API_KEY": "anthropic-key"})).is_production  # fmt: skip


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"SECRET_KEY": "change-me" + " " * 0}, "SECRET_KEY"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"S3_ENDPOINT_URL": "http://localstack:4566"}, "S3_ENDPOINT_URL"),
        ({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}, "AWS_ACCESS_KEY_ID"),
        ({"DEBUG": True}, "DEBUG"),
    ],
)
def test_production_refuses_each_embedded_default(override: dict[str, Any], variable: str) -> None:
    lines = problems(**(GOOD_PRODUCTION | override))
    assert any(line.startswith(variable) for line in lines), lines


SNOWFLAKE_WAREHOUSE_SETTINGS: dict[str, Any] = {
    "SNOWFLAKE_ACCOUNT": "acme-xy123",
    "SNOWFLAKE_USER": "svc",
    "SNOWFLAKE_PASSWORD": "p@ss/word",
    "SNOWFLAKE_WAREHOUSE": "WH",
}


@pytest.mark.parametrize(
    "url",
    ["snowflake://svc:p%40ss@acme-xy123/PE_ORGAIR/PUBLIC?warehouse=WH", "SNOWFLAKE://svc@acme"],
)
def test_snowflake_is_refused_as_the_system_of_record_with_why_and_what_instead(url: str) -> None:
    [line] = problems(DATABASE_URL=url)
    assert line.startswith("DATABASE_URL: Snowflake cannot be the system of record")
    assert "enforce only NOT NULL" in line and "row locks" in line  # why
    assert "use PostgreSQL (SQLite for development)" in line  # what instead
    assert "SNOWFLAKE_*" in line  # and where Snowflake belongs
    assert "p%40ss" not in line and "svc" not in line


def test_snowflake_settings_configure_the_warehouse_not_the_database() -> None:
    settings = build(**SNOWFLAKE_WAREHOUSE_SETTINGS)
    assert settings.database_url == "sqlite:///var/orgair.db"  # no Snowflake URL is built
    assert settings.warehouse_configured
    assert "p@ss/word" not in repr(settings)
    assert not build().warehouse_configured
    postgres = "postgresql+psycopg://orgair:pw@db:5432/orgair"
    both = build(DATABASE_URL=postgres, **SNOWFLAKE_WAREHOUSE_SETTINGS)
    assert both.database_url == postgres and both.warehouse_configured
    [line] = problems(SNOWFLAKE_ACCOUNT="acme-xy123")
    assert line.startswith("SNOWFLAKE_USER, SNOWFLAKE_PASSWORD, SNOWFLAKE_WAREHOUSE required")


@pytest.mark.parametrize("url", ["mysql+pymysql://u:p@h/db", "oracle://h/db"])
def test_other_databases_are_refused(url: str) -> None:
    [line] = problems(DATABASE_URL=url)
    assert line.startswith("DATABASE_URL: unsupported database")
    assert line.endswith("use PostgreSQL (SQLite for development)")


@pytest.mark.parametrize("url", ["sqlite:///var/orgair.db", "sqlite:////data/orgair.db", None])
def test_production_refuses_sqlite_and_names_postgresql(url: str | None) -> None:
    lines = problems(**(GOOD_PRODUCTION | {"DATABASE_URL": url}))
    [line] = [line for line in lines if line.startswith("DATABASE_URL")]
    assert "must be a PostgreSQL URL in production" in line


def test_production_refuses_a_local_snowflake_emulator() -> None:
    warehouse = SNOWFLAKE_WAREHOUSE_SETTINGS | {"SNOWFLAKE_ENDPOINT_URL": "http://127.0.0.1:8085"}
    [line] = problems(**(GOOD_PRODUCTION | warehouse))
    assert line.startswith("SNOWFLAKE_ENDPOINT_URL must not be a local Snowflake emulator")
    assert build(**(GOOD_PRODUCTION | SNOWFLAKE_WAREHOUSE_SETTINGS)).warehouse_configured


def test_the_settle_window_outlasts_an_llm_attempt() -> None:
    """An llm_calls row is stamped when the attempt begins and written when it ends: a
    shorter window would let the export's mark pass it before it commits."""
    warehouse = SNOWFLAKE_WAREHOUSE_SETTINGS | {"LLM_CONNECT_TIMEOUT_SECONDS": 5,
                                                "LLM_REQUEST_TIMEOUT_SECONDS": 60}  # fmt: skip
    [line] = problems(**warehouse, WAREHOUSE_EXPORT_SETTLE_SECONDS=65)
    assert line.startswith("WAREHOUSE_EXPORT_SETTLE_SECONDS must exceed LLM_CONNECT_TIMEOUT")
    assert build(**warehouse, WAREHOUSE_EXPORT_SETTLE_SECONDS=66).warehouse_configured
    assert build(**SNOWFLAKE_WAREHOUSE_SETTINGS).WAREHOUSE_EXPORT_SETTLE_SECONDS == 120
    assert build(WAREHOUSE_EXPORT_SETTLE_SECONDS=0).WAREHOUSE_EXPORT_SETTLE_SECONDS == 0


def test_periodic_export_needs_the_warehouse_and_a_budget_below_the_task_limit() -> None:
    [line] = problems(WAREHOUSE_EXPORT_INTERVAL_SECONDS=300)
    assert line.startswith("WAREHOUSE_EXPORT_INTERVAL_SECONDS:") and "SNOWFLAKE_ACCOUNT" in line
    assert build(WAREHOUSE_EXPORT_INTERVAL_SECONDS=0).WAREHOUSE_EXPORT_INTERVAL_SECONDS == 0
    enabled = build(WAREHOUSE_EXPORT_INTERVAL_SECONDS=300, **SNOWFLAKE_WAREHOUSE_SETTINGS)
    assert enabled.WAREHOUSE_EXPORT_INTERVAL_SECONDS == 300
    too_long = {"WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS": 300}  # the soft limit is 300
    [line] = problems(WAREHOUSE_EXPORT_INTERVAL_SECONDS=300, **SNOWFLAKE_WAREHOUSE_SETTINGS,
                      **too_long)  # fmt: skip
    assert line.startswith("WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS must be less than")
    # Without the periodic export the budget is unused and the task limits are free.
    assert build(**too_long, CELERY_TASK_SOFT_TIME_LIMIT_SECONDS=8,
                 CELERY_TASK_TIME_LIMIT_SECONDS=10).WAREHOUSE_EXPORT_INTERVAL_SECONDS == 0  # fmt: skip


def test_secrets_are_masked_in_repr_and_dumps() -> None:
    settings = build(**GOOD_PRODUCTION)
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for secret in ("p" * 40, "sk-live-abcdef", "real-secret-access-key-value", ":pw@"):
        assert secret not in shown


def run_entry(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_scoring_api"],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_service_start_with_bad_settings_prints_lines_not_a_traceback(tmp_path: Path) -> None:
    secret = "sk-" + "s" * 10  # a valid key so the production rules run too
    result = run_entry(
        {"APP_ENV": "production", "SECRET_KEY": "tiny-secret-value", "OPENAI_API_KEY": secret,
         "RATE_LIMIT_PER_MINUTE": "60", "DEBUG": "true"},
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("scoring: configuration error: ") for line in lines), lines
    assert len(lines) >= 5
    assert "Traceback" not in result.stderr
    assert "tiny-secret-value" not in result.stderr + result.stdout
    assert secret not in result.stderr + result.stdout


def test_service_started_on_snowflake_stops_with_one_line(tmp_path: Path) -> None:
    password = "sf-password-value"
    result = run_entry(
        {"SECRET_KEY": "dev-secret", "DATABASE_URL": f"snowflake://svc:{password}@acme/DB/PUBLIC"},
        tmp_path,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("scoring: configuration error: DATABASE_URL: Snowflake cannot be")
    assert password not in result.stderr + result.stdout


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SECRET_KEY=from-dotenv\nRATE_LIMIT_PER_MINUTE=7\n")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        settings = Settings()
    finally:
        os.chdir(cwd)
    assert settings.RATE_LIMIT_PER_MINUTE == 7
    assert settings.SECRET_KEY.get_secret_value() == "from-dotenv"


def test_gateway_body_limit_leaves_room_for_an_evidence_upload() -> None:
    settings = build()
    assert settings.GATEWAY_MAX_BODY_BYTES >= settings.EVIDENCE_MAX_UPLOAD_BYTES + 65_536
    found = problems(EVIDENCE_MAX_UPLOAD_BYTES=2_000_000, GATEWAY_MAX_BODY_BYTES=2_000_000)
    assert any("GATEWAY_MAX_BODY_BYTES" in line and "EVIDENCE_MAX_UPLOAD_BYTES" in line
               for line in found)  # fmt: skip
    assert build(EVIDENCE_MAX_UPLOAD_BYTES=1_000_000, GATEWAY_MAX_BODY_BYTES=1_065_536)


def test_env_example_documents_every_evidence_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for name in Settings.model_fields:
        if name.startswith("EVIDENCE_"):
            assert f"\n{name}=" in example, name
    assert build().model_dump()["GATEWAY_MAX_BODY_BYTES"] == int(
        example.split("\nGATEWAY_MAX_BODY_BYTES=", 1)[1].split("\n", 1)[0]
    )


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("DATABASE_URL", "not-a-url", "not a SQLAlchemy database URL"),
        ("DATABASE_URL", "postgresql+psycopg://u:hunter2@db:notaport/x", "port is not a number"),
        ("DATABASE_URL", "postgresql+psycopg://u:hunter2@db:99999/x", "port must be 1..65535"),
        ("DATABASE_URL", "nosuchdriver://u:hunter2@db/x", "unsupported database 'nosuchdriver'"),
        ("DATABASE_URL", "postgresql+nosuch://u:hunter2@db/x", "unknown database driver"),
        ("DATABASE_URL", "mysql://u:hunter2@db/x", "unsupported database 'mysql'"),
        ("DATABASE_URL", "postgresql+asyncpg://u:hunter2@db/x", "asyncio driver"),
        ("REDIS_URL", "redis://:hunter2@localhost:abc/0", "port is not a number"),
        ("REDIS_URL", "http://localhost:6379/0", "scheme must be one of redis, rediss, unix"),
        ("CELERY_BROKER_URL", "redis://:6379/1", "names no host"),
        ("S3_ENDPOINT_URL", "localhost:4566", "scheme must be one of http, https"),
        ("S3_ENDPOINT_URL", "http://:4566", "names no host"),
        ("SCORING_URL", "http://scoring:0", "port must be 1..65535"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "scheme must be one of http, https"),
    ],
)
def test_unusable_urls_are_refused_naming_the_variable(
    variable: str, value: str, reason: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(lambda: build(**{variable: value}))
    assert len(refused.value.lines) == 1
    line = refused.value.lines[0]
    assert line.startswith(f"{variable}: ") and reason in line, line
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "sqlite:///var/x.db"),
        ("DATABASE_URL", "postgresql+psycopg://u:p@db:5432/orgair"),
        ("REDIS_URL", "rediss://:p@cache.example:6380/0"),
        ("REDIS_URL", "unix:///run/redis.sock"),
        ("S3_ENDPOINT_URL", "https://s3.eu-west-1.amazonaws.com"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1"),
    ],
)
def test_usable_urls_and_proxies_are_accepted(variable: str, value: str) -> None:
    build(**{variable: value})


@pytest.mark.parametrize("value", ["*", "gateway", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(lambda: build(TRUSTED_PROXIES=value))
    assert refused.value.lines[0].startswith("TRUSTED_PROXIES: ")


def test_the_failed_auth_ceiling_is_not_below_the_limit() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            lambda: build(
                RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE=50,
                RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE=20,
            )
        )
    assert "RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE" in refused.value.lines[0]
