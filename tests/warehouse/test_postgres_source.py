"""The same export from a PostgreSQL system of record (production's): the rows, their
types (timestamptz, double precision, text JSON) and the keyset order over PostgreSQL's
collation arrive as they do from SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from orgair_config import Settings
from orgair_database import Database
from tests.warehouse.conftest import ExporterFactory
from tests.warehouse.portfolio import Portfolio
from tests.warehouse.test_export import full_rerun_incremental_and_updates

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    warehouse_overrides: dict[str, Any],
    postgres_url: str,
) -> Settings:
    database = f"warehouse_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {database}"))
    engine.dispose()
    url = f"{postgres_url.rsplit('/', 1)[0]}/{database}"
    return make_settings(DATABASE_URL=url, **warehouse_overrides)


def test_export_from_postgresql(
    client: TestClient,
    portfolio: Portfolio,
    source: Database,
    warehouse: Engine,
    exporter_for: ExporterFactory,
) -> None:
    assert source.engine.dialect.name == "postgresql"
    full_rerun_incremental_and_updates(client, portfolio, source, warehouse, exporter_for)
