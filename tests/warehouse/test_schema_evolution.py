"""The warehouse schema follows the source definitions: a new column is added and filled
for every row, a new table is created and exported, and the export itself is generic
(here over a metadata of two small tables, not the platform's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, create_engine, insert, text
from tenacity import wait_none

from orgair_config import Settings
from orgair_database import JSONText, UTCDateTime, UUIDString
from orgair_warehouse.export import Exporter
from orgair_warehouse.reconcile import reconcile
from orgair_warehouse.registry import export_registry
from orgair_warehouse.schema import WarehouseTable, warehouse_tables

START = datetime(2026, 11, 1, tzinfo=UTC)


def notes_v1(metadata: MetaData) -> Table:
    return Table(
        "notes",
        metadata,
        Column("id", UUIDString(), primary_key=True, doc="Id"),
        Column("body", String(200), nullable=False, doc="Text"),
        Column("updated_at", UTCDateTime(), nullable=False, doc="Last change"),
        comment="Analyst notes",
    )


def notes_v2(metadata: MetaData) -> Table:
    table = notes_v1(metadata)
    table.append_column(Column("tags", JSONText(), doc="Labels (JSON list)"))
    return table


def flags(metadata: MetaData) -> Table:
    return Table(
        "flags",
        metadata,
        Column("id", UUIDString(), primary_key=True, doc="Id"),
        Column("name", String(50), nullable=False, doc="Flag"),
        Column("created_at", UTCDateTime(), nullable=False, doc="When"),
        comment="Feature flags",
        info={"append_only_by": "created_at"},
    )


@pytest.fixture
def source_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'notes.db'}")
    yield engine
    engine.dispose()


def exporter(source: Engine, warehouse: Engine, settings: Settings, metadata: MetaData) -> Exporter:
    return Exporter(
        source,
        warehouse,
        warehouse_tables(export_registry(metadata)),
        schema=settings.SNOWFLAKE_SCHEMA,
        batch_size=2,
        settle_seconds=0,
        retry_wait=wait_none(),
    )


def matching(source: Engine, warehouse: Engine, tables: list[WarehouseTable]) -> list[str]:
    return [check.line for check in reconcile(source, warehouse, tables) if not check.matches]


def test_added_columns_are_filled_for_every_row_and_new_tables_exported(
    source_engine: Engine, warehouse: Engine, settings: Settings
) -> None:
    v1 = MetaData()
    notes = notes_v1(v1)
    v1.create_all(source_engine)
    with source_engine.begin() as connection:
        connection.execute(
            insert(notes),
            [
                {
                    "id": uuid.uuid4(),
                    "body": f"note {n}",
                    "updated_at": START + timedelta(minutes=n),
                }
                for n in range(5)
            ],
        )
    first = exporter(source_engine, warehouse, settings, v1).run()
    assert first.rows == 5 and first.schema.created == ("_export_state", "notes")
    assert matching(source_engine, warehouse, list(warehouse_tables(export_registry(v1)))) == []

    # The source gains a column (a migration) and a table; old rows get their tags too.
    with source_engine.begin() as connection:
        connection.execute(text("ALTER TABLE notes ADD COLUMN tags TEXT"))
        connection.execute(text("""UPDATE notes SET tags = '["q4", "diligence"]'"""))
    v2 = MetaData()
    notes_v2(v2)
    flags_table = flags(v2)
    v2.create_all(source_engine, tables=[flags_table])
    with source_engine.begin() as connection:
        connection.execute(
            insert(flags_table), [{"id": uuid.uuid4(), "name": "beta", "created_at": START}]
        )
    second = exporter(source_engine, warehouse, settings, v2).run()
    assert second.schema.created == ("flags",)
    assert dict(second.schema.added) == {"notes": ("tags",)}
    # The notes' mark was reset with the new column: all five merged again, with tags.
    assert {o.table: o.rows for o in second.tables} == {"notes": 5, "flags": 1}
    tables = list(warehouse_tables(export_registry(v2)))
    assert matching(source_engine, warehouse, tables) == []
    with warehouse.connect() as connection:
        tags = connection.execute(text("SELECT DISTINCT tags[1]::string FROM notes")).scalars()
        assert list(tags) == ["diligence"]

    third = exporter(source_engine, warehouse, settings, v2).run()
    assert third.rows == 0 and not third.schema.changed
