"""The Snowflake tables, derived from the platform's own table definitions.

One source: each warehouse table is the source table with Snowflake types (JSON text →
`VARIANT`, timestamps → `TIMESTAMP_TZ`, UUIDs → `VARCHAR(36)`, floats → `FLOAT`, integers
→ `INTEGER`, i.e. NUMBER(38,0)), its columns' `doc` as column comments and its model's
docstring as the table comment, plus `_exported_at`. Only the primary key is declared
(Snowflake does not enforce it; it documents the merge key): no foreign keys, unique
keys, checks or indexes, which standard Snowflake tables would ignore or reject.

`ensure_schema` creates what is missing and adds missing columns, so it is idempotent
and runs before every export. Columns are added nullable (existing rows have no value);
the export then merges the whole table again so every row gets one. A column the source
dropped stays in the warehouse with the values it had.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from snowflake.sqlalchemy import TIMESTAMP_NTZ, TIMESTAMP_TZ, VARIANT, snowdialect
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import mapperlib
from sqlalchemy.types import TypeDecorator, TypeEngine

from orgair_database import JSONText, UTCDateTime, UUIDString
from orgair_warehouse.registry import ExportedTable

EXPORTED_AT = "_exported_at"
STATE_TABLE = "_export_state"
STAGE_PREFIX = "_stage_"

_state_metadata = MetaData()
export_state = Table(
    STATE_TABLE,
    _state_metadata,
    Column("table_name", String(255), primary_key=True, comment="Exported table"),
    Column(
        "watermark_at",
        TIMESTAMP_TZ,
        comment="Change time (updated_at or the insertion time) of the last row merged",
    ),
    Column("watermark_id", String(255), comment="Id of that row (ties on the time)"),
    Column("version", Integer(), nullable=False, comment="Bumped by every batch"),
    Column("rows_merged", Integer(), nullable=False, comment="Rows merged since creation"),
    Column("batches", Integer(), nullable=False, comment="Batches committed since creation"),
    Column("updated_at", TIMESTAMP_TZ, comment="When the last batch committed"),
    comment="High-water mark per exported table, advanced in each batch's transaction",
)


class WarehouseSchemaError(ValueError):
    """A source column has no Snowflake counterpart; the message names it."""


def snowflake_type(column: Column[Any]) -> TypeEngine[Any]:
    """The Snowflake type that holds the source column's values without loss."""
    kind = column.type
    if isinstance(kind, JSONText | JSON):
        return cast(TypeEngine[Any], VARIANT())
    if isinstance(kind, UUIDString | Uuid):
        return String(36)
    if isinstance(kind, UTCDateTime):
        return cast(TypeEngine[Any], TIMESTAMP_TZ())
    if isinstance(kind, TypeDecorator):
        # What a decorator stores says nothing of what its values mean (an Interval is a
        # DateTime underneath): one this module does not know is refused.
        raise WarehouseSchemaError(
            f"{column.table.name}.{column.name}: no Snowflake type for {column.type!r}"
        )
    if isinstance(kind, DateTime):
        return cast(TypeEngine[Any], TIMESTAMP_TZ() if kind.timezone else TIMESTAMP_NTZ())
    if isinstance(kind, Date):
        return Date()
    if isinstance(kind, Boolean):
        return Boolean()
    if isinstance(kind, Integer | BigInteger | SmallInteger):
        return Integer()  # NUMBER(38,0) in Snowflake
    if isinstance(kind, Float):
        return Float()  # Snowflake FLOAT is a 64-bit double, like the source's
    if isinstance(kind, Numeric):
        return Numeric(kind.precision or 38, kind.scale or 0)
    if isinstance(kind, Text):
        return String()
    if isinstance(kind, String):
        return String(kind.length) if kind.length else String()
    if isinstance(kind, LargeBinary):
        return LargeBinary()
    raise WarehouseSchemaError(
        f"{column.table.name}.{column.name}: no Snowflake type for {column.type!r}"
    )


def is_variant(column: Column[Any]) -> bool:
    return isinstance(column.type, VARIANT)


def table_comment(table: Table) -> str:
    """The table's own comment, else the first paragraph of the docstring of the class
    mapped to it (whichever declarative base it was declared on)."""
    if table.comment:
        return " ".join(table.comment.split())
    for registry in mapperlib._all_registries():
        for mapper in registry.mappers:
            if mapper.local_table is table and mapper.class_.__doc__:
                paragraph = mapper.class_.__doc__.strip().split("\n\n", 1)[0]
                return " ".join(paragraph.split())
    return ""


def column_comment(column: Column[Any]) -> str:
    return " ".join((column.doc or column.comment or "").split())


@dataclass(frozen=True)
class WarehouseTable:
    """A source table's Snowflake twin and the table its batches are staged in (created
    TEMPORARY, once per session)."""

    exported: ExportedTable
    target: Table
    stage: Table

    @property
    def name(self) -> str:
        return self.target.name


def warehouse_tables(exported: Iterable[ExportedTable]) -> tuple[WarehouseTable, ...]:
    metadata = MetaData()
    result = []
    for table in exported:
        columns = [
            Column(
                column.name,
                snowflake_type(column),
                primary_key=column is table.key_column,
                nullable=bool(column.nullable) and column is not table.key_column,
                comment=column_comment(column) or None,
            )
            for column in table.columns
        ]
        columns.append(
            Column(
                EXPORTED_AT,
                TIMESTAMP_TZ(),
                nullable=False,
                comment="When the export last merged this row",
            )
        )
        target = Table(table.name, metadata, *columns, comment=table_comment(table.source) or None)
        # Staged as the source holds it: JSON stays text until MERGE parses it.
        stage = Table(
            STAGE_PREFIX + table.name,
            metadata,
            *(
                Column(column.name, String() if is_variant(column) else column.type)
                for column in columns
                if column.name != EXPORTED_AT
            ),
        )
        result.append(WarehouseTable(exported=table, target=target, stage=stage))
    return tuple(result)


# --- DDL ---------------------------------------------------------------------------------


def snowflake_dialect() -> Dialect:
    dialect: Dialect = snowdialect.dialect()
    return dialect


def string_literal(value: str) -> str:
    """A Snowflake string literal: backslash is an escape character there, a quote doubles."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _column_ddl(column: Column[Any], dialect: Dialect, *, nullable: bool | None = None) -> str:
    kind = dialect.type_compiler_instance.process(column.type)
    parts = [dialect.identifier_preparer.quote(column.name), kind]
    if not (column.nullable if nullable is None else nullable):
        parts.append("NOT NULL")
    if column.comment:
        parts.append("COMMENT " + string_literal(column.comment))
    return " ".join(parts)


def create_table_ddl(
    table: Table, dialect: Dialect | None = None, *, temporary: bool = False
) -> str:
    dialect = dialect or snowflake_dialect()
    quote = dialect.identifier_preparer.quote
    lines = [_column_ddl(column, dialect) for column in table.columns]
    keys = [quote(column.name) for column in table.primary_key.columns]
    if keys:
        lines.append(f"PRIMARY KEY ({', '.join(keys)})")
    kind = "TEMPORARY TABLE" if temporary else "TABLE"
    ddl = f"CREATE {kind} IF NOT EXISTS {quote(table.name)} (\n    "
    ddl += ",\n    ".join(lines) + "\n)"
    if table.comment:
        ddl += " COMMENT = " + string_literal(table.comment)
    return ddl


def add_column_ddl(table: Table, column: Column[Any], dialect: Dialect | None = None) -> str:
    """Always nullable: the rows already there have no value for it."""
    dialect = dialect or snowflake_dialect()
    quote = dialect.identifier_preparer.quote
    return (
        f"ALTER TABLE {quote(table.name)} ADD COLUMN {_column_ddl(column, dialect, nullable=True)}"
    )


def schema_ddl(tables: Sequence[WarehouseTable]) -> list[str]:
    """Every CREATE statement, for review (`orgair warehouse schema --sql`)."""
    return [create_table_ddl(export_state)] + [create_table_ddl(table.target) for table in tables]


@dataclass(frozen=True)
class SchemaChanges:
    created: tuple[str, ...] = ()
    added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.added)

    def summary(self) -> str:
        if not self.changed:
            return "schema up to date"
        parts = []
        if self.created:
            parts.append(f"created {', '.join(self.created)}")
        for table, columns in self.added.items():
            parts.append(f"added {table}.({', '.join(columns)})")
        return "; ".join(parts)


def plan_schema(
    existing: Mapping[str, set[str]], tables: Sequence[WarehouseTable]
) -> tuple[list[str], SchemaChanges]:
    """The statements that bring `existing` (table -> columns, lower case) up to date."""
    statements: list[str] = []
    created: list[str] = []
    added: dict[str, tuple[str, ...]] = {}
    for table in (export_state, *(item.target for item in tables)):
        have = existing.get(table.name)
        if have is None:
            statements.append(create_table_ddl(table))
            created.append(table.name)
            continue
        missing = [column for column in table.columns if column.name.lower() not in have]
        statements.extend(add_column_ddl(table, column) for column in missing)
        if missing:
            added[table.name] = tuple(column.name for column in missing)
    return statements, SchemaChanges(created=tuple(created), added=added)


def existing_columns(connection: Connection) -> dict[str, set[str]]:
    """Tables of the current schema and their columns, lower case as SQLAlchemy names them."""
    rows = connection.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = CURRENT_SCHEMA()"
        )
    )
    normalize = connection.dialect.normalize_name
    found: dict[str, set[str]] = {}
    for table_name, column_name in rows:
        found.setdefault(normalize(table_name), set()).add(normalize(column_name).lower())
    return found


def ensure_schema(
    connection: Connection, tables: Sequence[WarehouseTable], *, schema: str
) -> SchemaChanges:
    """Create the schema, missing tables and missing columns; start a watermark per table.

    DDL commits on Snowflake, so this runs outside any batch transaction.
    """
    found = connection.execute(
        text(
            "SELECT COUNT(*) FROM information_schema.schemata "
            "WHERE UPPER(schema_name) = UPPER(:name)"
        ),
        {"name": schema},
    ).scalar()
    if not found:
        # A session names its schema even when it does not exist yet (then CURRENT_SCHEMA()
        # is NULL): create it, then use it.
        quote = connection.dialect.identifier_preparer.quote
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        connection.exec_driver_sql(f"USE SCHEMA {quote(schema)}")
    statements, changes = plan_schema(existing_columns(connection), tables)
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.commit()
    with connection.begin():
        known = set(connection.execute(select(export_state.c.table_name)).scalars())
        missing = [{"table_name": table.name} for table in tables if table.name not in known]
        if missing:
            connection.execute(
                export_state.insert().values(version=0, rows_merged=0, batches=0), missing
            )
        for table_name in changes.added:
            if table_name == STATE_TABLE:
                continue
            # Existing rows have no value in the new columns: merge the whole table again.
            connection.execute(
                export_state.update()
                .where(export_state.c.table_name == table_name)
                .values(watermark_at=None, watermark_id=None, version=export_state.c.version + 1)
            )
    return changes
