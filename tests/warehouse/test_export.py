"""The export against the Snowflake emulator: a full export, incremental ones, reruns,
interruptions, updated rows; row counts and checksums equal to the source every time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from orgair_auth import ApiKeyRepository
from orgair_database import Database, utcnow
from orgair_observability.metrics import WAREHOUSE_ROWS_EXPORTED
from orgair_warehouse.export import ConcurrentExport, ExportFailed, ExportReport
from orgair_warehouse.platform import platform_tables
from orgair_warehouse.reconcile import reconcile
from orgair_warehouse.schema import EXPORTED_AT, WarehouseTable, export_state
from tests.api.helpers import V1
from tests.api_v2.helpers import V2, company
from tests.conftest import TEST_SECRET_KEY
from tests.warehouse.conftest import ExporterFactory, failing_statement
from tests.warehouse.portfolio import Portfolio

TABLES = {table.name: table for table in platform_tables()}


def assert_warehouse_equals_source(source: Engine, warehouse: Engine) -> dict[str, int]:
    """Every table: same row count and checksum on both sides; returns the counts."""
    checks = reconcile(source, warehouse, list(TABLES.values()))
    assert [check.line for check in checks if not check.matches] == []
    return {check.table: check.source_rows for check in checks}


def rows(report: ExportReport) -> dict[str, int]:
    return {outcome.table: outcome.rows for outcome in report.tables if outcome.rows}


def state(warehouse: Engine) -> dict[str, tuple[Any, ...]]:
    with warehouse.connect() as connection:
        return {
            row.table_name: (row.watermark_at, row.watermark_id, row.version, row.rows_merged)
            for row in connection.execute(select(export_state))
        }


def warehouse_value(warehouse: Engine, table: str, column: str, row_id: str) -> Any:
    target = TABLES[table].target
    with warehouse.connect() as connection:
        return connection.execute(
            select(target.c[column]).where(target.c.id == row_id)
        ).scalar_one()


def exported_at(warehouse: Engine) -> dict[str, Any]:
    with warehouse.connect() as connection:
        return {
            name: connection.execute(select(func.max(table.target.c[EXPORTED_AT]))).scalar()
            for name, table in TABLES.items()
        }


def test_full_then_incremental_rerun_and_updated_rows(
    client: TestClient,
    portfolio: Portfolio,
    source: Database,
    warehouse: Engine,
    exporter_for: ExporterFactory,
) -> None:
    full_rerun_incremental_and_updates(client, portfolio, source, warehouse, exporter_for)


def full_rerun_incremental_and_updates(
    client: TestClient,
    portfolio: Portfolio,
    source: Database,
    warehouse: Engine,
    exporter_for: ExporterFactory,
) -> None:
    """The export's life: first export, rerun, new and changed rows (any source database)."""
    exporter = exporter_for(source.engine, WAREHOUSE_EXPORT_BATCH_SIZE=4)
    rows_before = WAREHOUSE_ROWS_EXPORTED.labels("companies")._value.get()

    # First export: everything, every table, equal to the source.
    first = exporter.run()
    counts = assert_warehouse_equals_source(source.engine, warehouse)
    assert first.complete and rows(first) == {name: n for name, n in counts.items() if n}
    assert set(counts) == set(TABLES)
    assert all(counts[name] > 0 for name in TABLES), counts  # the portfolio fills every table
    assert (
        first.schema.created[0] == "_export_state" and len(first.schema.created) == len(TABLES) + 1
    )
    marks = state(warehouse)
    assert marks["companies"][3] == counts["companies"]
    assert WAREHOUSE_ROWS_EXPORTED.labels("companies")._value.get() - rows_before == 3

    # A rerun finds nothing after the high-water marks and writes nothing.
    stamps = exported_at(warehouse)
    again = exporter.run()
    assert again.rows == 0 and again.complete and not again.schema.changed
    assert state(warehouse) == marks and exported_at(warehouse) == stamps

    # New rows and changed rows arrive, and only they.
    delta = company(client, name="Delta Retail", ticker="dlt")
    alpha = portfolio.companies[0]
    renamed = client.put(f"{V1}/companies/{alpha}", json={"ticker": "alp"})
    assert renamed.status_code == 200
    removed = client.delete(f"{V2}/funds/{portfolio.fund_id}/members/{alpha}")
    assert removed.status_code == 204  # closes alpha's membership interval
    cancelled = client.delete(f"{V2}/jobs/{portfolio.job_id}")
    assert cancelled.status_code in (200, 202), cancelled.text
    with source.session() as session:
        ApiKeyRepository(session, TEST_SECRET_KEY).revoke(
            next(
                record.id
                for record in ApiKeyRepository(session, TEST_SECRET_KEY).list()
                if record.revoked_at is None
            )
        )
    third = exporter.run()
    assert rows(third) == {
        "companies": 2,  # delta created, alpha changed
        "fund_memberships": 1,  # closed
        "funds": 1,  # a membership change touches its fund
        "scoring_jobs": 1,  # cancelled
        "api_keys": 1,  # revoked
    }
    counts = assert_warehouse_equals_source(source.engine, warehouse)
    assert warehouse_value(warehouse, "companies", "ticker", alpha) == "ALP"
    assert warehouse_value(warehouse, "companies", "name", delta["id"]) == "Delta Retail"
    assert warehouse_value(warehouse, "scoring_jobs", "state", portfolio.job_id) == "cancelled"
    with warehouse.connect() as connection:
        closed = connection.execute(
            text("SELECT COUNT(*) FROM fund_memberships WHERE removed_at IS NOT NULL")
        ).scalar_one()
    assert closed == 2  # beta's EV change and alpha's removal


def test_json_columns_are_variants_and_secrets_never_leave(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    exporter_for(source.engine).run()
    with warehouse.connect() as connection:
        reasons = connection.execute(
            text(
                "SELECT review_reasons[0]::string, result:org_air::float, "
                "inputs:sector::string FROM org_air_scores WHERE id = :id"
            ),
            {"id": portfolio.reviewed_score_id},
        ).one()
        decision = connection.execute(
            text("SELECT decision, comment FROM review_decisions WHERE score_id = :id"),
            {"id": portfolio.reviewed_score_id},
        ).one()
        key_columns = {
            row[0].lower()
            for row in connection.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'API_KEYS' AND table_schema = CURRENT_SCHEMA()"
                )
            )
        }
    # Paths into the JSON work: the columns are VARIANTs, not text.
    assert "above the normal range" in reasons[0] and reasons[1] > 85
    assert reasons[2] == "manufacturing"
    assert decision == ("reject", "evidence isn't there yet")
    assert "key_digest" not in key_columns and "hint" not in key_columns
    assert {"id", "name", "role", "revoked_at", "updated_at", EXPORTED_AT} <= key_columns


def test_an_interrupted_table_resumes_at_its_last_committed_batch(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    exporter = exporter_for(source.engine, WAREHOUSE_EXPORT_BATCH_SIZE=1)
    error = ProgrammingError("MERGE", {}, Exception("injected: warehouse refused the batch"))
    with (
        failing_statement(warehouse, "MERGE INTO", mentioning="companies", on_call=2, error=error),
        pytest.raises(ExportFailed) as caught,
    ):
        exporter.run()
    assert str(caught.value).startswith("companies: ") and "injected" in str(caught.value)
    assert "\n" not in str(caught.value)
    done = {outcome.table for outcome in caught.value.completed}
    assert "companies" not in done and done  # the tables before it finished
    marks = state(warehouse)
    # One batch of one company committed, with its mark; the failed one left nothing.
    assert marks["companies"][3] == 1 and marks["companies"][2] == 1
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM companies")).scalar_one() == 1
        merged_id = connection.execute(text("SELECT id FROM companies")).scalar_one()
    assert merged_id == marks["companies"][1]
    for later in ("assessments", "org_air_scores", "review_decisions"):
        assert marks[later][3] == 0, later  # not reached yet

    resumed = exporter.run()
    assert resumed.complete and rows(resumed)["companies"] == 2  # the other two, once
    assert_warehouse_equals_source(source.engine, warehouse)


def test_a_failure_after_the_merge_rolls_the_whole_batch_back(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    """MERGE and the mark's advance are one transaction: fail the advance, lose the MERGE."""
    exporter = exporter_for(source.engine, WAREHOUSE_EXPORT_MAX_ATTEMPTS=1)
    error = ProgrammingError("UPDATE", {}, Exception("injected after the merge"))
    with (
        failing_statement(
            warehouse, "UPDATE _export_state", mentioning="companies", on_call=1, error=error
        ),
        pytest.raises(ExportFailed) as caught,
    ):
        exporter.run()
    assert caught.value.table == "companies"
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM companies")).scalar_one() == 0
    assert state(warehouse)["companies"][2:] == (0, 0)
    exporter.run()
    assert_warehouse_equals_source(source.engine, warehouse)


def test_transient_errors_are_retried_and_the_batch_lands_once(
    portfolio: Portfolio,
    source: Database,
    warehouse: Engine,
    exporter_for: ExporterFactory,
) -> None:
    exporter = exporter_for(source.engine)
    dropped = OperationalError("MERGE", {}, ConnectionError("injected: connection reset"))
    with failing_statement(
        warehouse, "MERGE INTO", mentioning="assessments", on_call=1, error=dropped
    ) as seen:
        report = exporter.run()
    assert len(seen) == 2  # failed once, then merged on the second attempt
    assert report.complete and rows(report)["assessments"] == 3
    assert state(warehouse)["assessments"][2] == 1  # one batch, advanced once
    assert_warehouse_equals_source(source.engine, warehouse)


def test_a_second_exporter_cannot_advance_a_mark_it_did_not_read(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    exporter = exporter_for(source.engine, WAREHOUSE_EXPORT_MAX_ATTEMPTS=1)
    other = warehouse.connect()
    raced = False

    def another_export_commits_first(
        _connection: Any, _cursor: Any, statement: str, *_: Any
    ) -> None:
        # Right after this batch read the companies mark (its next statement empties the
        # stage), another export advances the mark and commits. (Racing it later, inside
        # the batch's writes, would meet DuckDB's snapshot isolation in the emulator: a
        # write conflict, where Snowflake, read committed, updates no row.)
        nonlocal raced
        staging = statement.lstrip().upper().startswith("DELETE FROM _STAGE_COMPANIES")
        if staging and not raced:
            raced = True
            other.execute(
                export_state.update()
                .where(export_state.c.table_name == "companies")
                .values(version=export_state.c.version + 1)
            )
            other.commit()

    event.listen(warehouse, "before_cursor_execute", another_export_commits_first)
    try:
        with pytest.raises(ExportFailed) as caught:
            exporter.run()
    finally:
        event.remove(warehouse, "before_cursor_execute", another_export_commits_first)
        other.close()
    assert raced and isinstance(caught.value.cause, ConcurrentExport)
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM companies")).scalar_one() == 0


def test_rows_inside_the_settle_window_wait_and_count_as_lag(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    exporter = exporter_for(source.engine, WAREHOUSE_EXPORT_SETTLE_SECONDS=3600)
    report = exporter.run()
    assert report.rows == 0
    lag = {outcome.table: outcome.lag_seconds for outcome in report.tables}
    assert 0 < lag["companies"] < 3600 and lag["industries"] > 0
    later = exporter_for(source.engine, WAREHOUSE_EXPORT_SETTLE_SECONDS=3600)
    later.clock = lambda: utcnow() + timedelta(hours=2)
    assert later.run().complete
    assert_warehouse_equals_source(source.engine, warehouse)


def test_a_time_budget_stops_between_batches_and_the_next_run_continues(
    portfolio: Portfolio, source: Database, warehouse: Engine, exporter_for: ExporterFactory
) -> None:
    exporter = exporter_for(source.engine)
    partial = exporter.run(time_budget_seconds=0)
    assert not partial.complete and partial.rows == 0
    assert "time budget reached" in partial.summary()
    finished = exporter.run()
    assert finished.complete
    assert_warehouse_equals_source(source.engine, warehouse)


def test_every_platform_table_is_in_the_warehouse() -> None:
    import orgair_llm.ledger_table  # noqa: F401
    from orgair_domain.models import metadata
    from orgair_warehouse.platform import EXCLUDED_TABLES

    # Every table but the excluded ones (evidence_chunks: the search index's rows).
    assert set(TABLES) == set(metadata.tables) - EXCLUDED_TABLES
    assert set(metadata.tables) >= EXCLUDED_TABLES
    assert all(isinstance(table, WarehouseTable) for table in TABLES.values())
