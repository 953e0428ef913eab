"""The warehouse tests: the fakesnow emulator as a server (one per session, spoken to by
the real Snowflake connector and snowflake-sqlalchemy over HTTP), one fresh Snowflake
schema per test, the platform's database as the source (SQLite; PostgreSQL where marked).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from tenacity import wait_none

from orgair_config import Settings
from orgair_database import Database
from orgair_warehouse.connection import warehouse_engine
from orgair_warehouse.export import Exporter, ExportProgress
from orgair_warehouse.platform import platform_exporter
from tests.support.servers import running_fakesnow
from tests.warehouse.portfolio import Portfolio, build_portfolio

WAREHOUSE_DATABASE = "PE_ORGAIR"


@pytest.fixture(scope="session")
def fakesnow_endpoint() -> Iterator[str]:
    with running_fakesnow() as endpoint:
        yield endpoint


@pytest.fixture
def warehouse_overrides(fakesnow_endpoint: str) -> dict[str, Any]:
    """SNOWFLAKE_* for the emulator, a schema of this test's own, a short settle window
    (the LLM timeouts it must exceed shortened to match)."""
    return {
        "SNOWFLAKE_ACCOUNT": "fakesnow",
        "SNOWFLAKE_USER": "fake",
        "SNOWFLAKE_PASSWORD": "snow-password",
        "SNOWFLAKE_WAREHOUSE": "EXPORT_WH",
        "SNOWFLAKE_DATABASE": WAREHOUSE_DATABASE,
        "SNOWFLAKE_SCHEMA": f"T_{uuid.uuid4().hex[:10].upper()}",
        "SNOWFLAKE_ENDPOINT_URL": fakesnow_endpoint,
        "LLM_CONNECT_TIMEOUT_SECONDS": 0.1,
        "LLM_REQUEST_TIMEOUT_SECONDS": 0.1,
        "WAREHOUSE_EXPORT_SETTLE_SECONDS": 0.5,
        "WAREHOUSE_EXPORT_MAX_ATTEMPTS": 3,
    }


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], warehouse_overrides: dict[str, Any]
) -> Settings:
    """The suite's settings (SQLite source, Redis, S3) plus the warehouse."""
    return make_settings(**warehouse_overrides)


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Engine]:
    engine = warehouse_engine(settings)
    with engine.connect() as connection:
        # The data platform provisions the database; the export creates everything in it.
        connection.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS {WAREHOUSE_DATABASE}")
        connection.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def source(migrated: Settings) -> Iterator[Database]:
    database = Database.from_settings(migrated)
    yield database
    database.dispose()


@pytest.fixture
def portfolio(client: TestClient, settings: Settings) -> Portfolio:
    """The source filled through the API: rows in every exported table."""
    return build_portfolio(client, settings)


ExporterFactory = Callable[..., Exporter]


@pytest.fixture
def exporter_for(settings: Settings, warehouse: Engine) -> ExporterFactory:
    """`exporter_for(source_engine, WAREHOUSE_EXPORT_BATCH_SIZE=2, …)`: the platform's
    exporter on the emulator, retrying without waiting, with no settle window unless
    one is asked for (in-process tests export what they just wrote)."""

    def build(
        source: Engine,
        *,
        progress: ExportProgress | None = None,
        **overrides: Any,
    ) -> Exporter:
        update = {"WAREHOUSE_EXPORT_SETTLE_SECONDS": 0.0} | overrides
        exporter = platform_exporter(
            settings.model_copy(update=update), source, warehouse=warehouse, progress=progress
        )
        exporter.retry_wait = wait_none()
        return exporter

    return build


@contextmanager
def failing_statement(
    engine: Engine, starts_with: str, *, mentioning: str, on_call: int, error: Exception
) -> Iterator[list[str]]:
    """Raise `error` on the `on_call`-th statement that starts with `starts_with` and
    mentions `mentioning` (in its text or its parameters), before it reaches the
    warehouse: an injected failure."""
    seen: list[str] = []

    def before_cursor_execute(
        _connection: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        text = statement.lstrip().upper()
        mentioned = mentioning.upper() in text or mentioning in str(parameters)
        if text.startswith(starts_with.upper()) and mentioned:
            seen.append(statement)
            if len(seen) == on_call:
                raise error

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
