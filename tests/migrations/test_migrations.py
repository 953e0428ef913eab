"""One migration history for the system of record: SQLite and PostgreSQL."""

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
import orgair_llm.ledger_table  # noqa: F401  (registers llm_calls)
from orgair_domain.evidence.search_index import include_name, include_object
from orgair_domain.models import metadata
from orgair_init.migrate import current_head, downgrade, upgrade

TABLES = {
    "industries",
    "companies",
    "assessments",
    "dimension_scores",
    "api_keys",
    "parameter_profiles",
    "org_air_scores",
    "review_decisions",
    "funds",
    "fund_memberships",
    "scoring_jobs",
    "scoring_job_failures",
    "llm_calls",
    "evidence",
    "evidence_dimensions",
    "evidence_chunks",
    "justifications",
    "justification_citations",
    "ic_memos",
}


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
            # As Alembic's env compares: without each backend's full-text index.
            context = MigrationContext.configure(
                connection, opts={"include_name": include_name, "include_object": include_object}
            )
            return list(compare_metadata(context, metadata))
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


def test_upgrade_and_downgrade_sql_offline() -> None:
    """`orgair migrate --sql`: the DDL for a DBA to review, without a connection."""
    url = "postgresql+psycopg://user:pass@db.invalid/orgair"
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        upgrade(url, sql=True)
    sql = buffer.getvalue()
    for table in TABLES:
        assert re.search(rf"CREATE TABLE {table} \(", sql), table
    assert f"'{current_head()}'" in sql  # records the version it reached
    assert "user:pass" not in sql
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        downgrade(url, f"{current_head()}:base", sql=True)
    assert "DROP TABLE dimension_scores" in buffer.getvalue()


def test_check_constraints_survive_sqlite_batch_migrations(tmp_path: Path) -> None:
    """SQLite rebuilds tables on ALTER; the CS1 checks must still be there at head."""
    from sqlalchemy.exc import IntegrityError

    url = f"sqlite:///{tmp_path / 'checks.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO industries VALUES ('i1', 'X', 'x', 50, '2026-01-01')"
            )
            connection.exec_driver_sql(
                "INSERT INTO companies VALUES ('c1', 'C', NULL, 'i1', 0, 0, "
                "'2026-01-01', '2026-01-01')"
            )
        for column, value in (("v_r_score", 101), ("talent_concentration", 2)):
            with pytest.raises(IntegrityError, match="CHECK"), engine.begin() as connection:
                connection.exec_driver_sql(
                    f"INSERT INTO assessments (id, company_id, assessment_type, assessment_date, "
                    f"status, created_at, updated_at, {column}) VALUES ('a1', 'c1', 'screening', "
                    f"'2026-01-01', 'draft', '2026-01-01', '2026-01-01', {value})"
                )
    finally:
        engine.dispose()


def test_check_constraints_are_named_by_the_convention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'names.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        names = [
            check["name"]
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        ]
    finally:
        engine.dispose()
    assert len(names) >= 15
    for name in names:
        assert name is not None
        assert name.startswith("ck_") and name.count("ck_") == 1, name
