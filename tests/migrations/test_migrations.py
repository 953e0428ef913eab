"""One migration history for SQLite, Postgres and (offline) Snowflake."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import orgair_auth.models  # noqa: F401  (registers api_keys on the metadata)
from orgair_init.migrate import current_head, downgrade, upgrade
from orgair_scoring_api.models import metadata

TABLES = {"industries", "companies", "assessments", "dimension_scores", "api_keys"}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))
    finally:
        engine.dispose()


def round_trip(url: str) -> None:
    upgrade(url)
    assert tables(url) >= TABLES
    assert schema_drift(url) == []  # the models and the migrations describe one schema
    downgrade(url, "base")
    assert tables(url) == set()
    upgrade(url)
    assert tables(url) >= TABLES


def test_sqlite_up_down_up(tmp_path: Path) -> None:
    round_trip(f"sqlite:///{tmp_path / 'migrations.db'}")


@pytest.mark.postgres
def test_postgres_up_down_up(postgres_url: str) -> None:
    round_trip(postgres_url)
    downgrade(postgres_url, "base")


def snowflake_sql() -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        upgrade("snowflake://user:pass@account/db/schema?warehouse=wh", sql=True)
    return buffer.getvalue()


def test_snowflake_offline_sql_is_valid_for_snowflake() -> None:
    sql = snowflake_sql()
    for table in TABLES:
        assert re.search(rf"CREATE TABLE {table} \(", sql), table
    assert "CHECK" not in sql.upper()  # Snowflake rejects CHECK constraints
    assert "CREATE INDEX" not in sql.upper()  # and indexes outside hybrid tables
    assert "FOREIGN KEY" in sql  # informational constraints are accepted
    assert "UNIQUE" in sql
    assert "TIMESTAMP_TZ" in sql.upper() or "TIMESTAMP WITH TIME ZONE" in sql.upper()
    assert f"'{current_head()}'" in sql  # records the version it reached
    assert "user:pass" not in sql


def test_snowflake_ddl_compiles_with_the_snowflake_dialect() -> None:
    from snowflake.sqlalchemy import snowdialect
    from sqlalchemy.schema import CreateTable

    dialect = snowdialect.dialect()
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert ddl.startswith("\nCREATE TABLE")


def test_downgrade_sql_offline() -> None:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        downgrade("snowflake://user:pass@account/db/schema", f"{current_head()}:base", sql=True)
    assert "DROP TABLE dimension_scores" in buffer.getvalue()
