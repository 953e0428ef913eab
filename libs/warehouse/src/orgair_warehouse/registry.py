"""Which tables and columns the warehouse gets, and how each table's changes are found.

Built from the source tables themselves (a `MetaData` or any tables), so a table added to
the platform is exported without touching this package. Every table is exported unless
it is excluded by name; every column except the ones marked `secret()`. The rules fail
closed: a table the export could not follow correctly, or a column whose name says
"secret" but which is not marked either way, stops the registry from being built, with a
message saying what to declare.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Uuid

from orgair_database import UUIDString
from orgair_database.table_info import UPDATED_AT, append_only_by, is_secret

# Name parts that mean "this could be a credential": such a column must be marked secret()
# (never exported) or carry info={"secret": False} (reviewed: exported).
SECRET_LOOKING_PARTS = frozenset(
    {"digest", "secret", "password", "passwd", "credential", "credentials", "token"}
)
# Counts of tokens are not secrets (an LLM ledger's prompt_tokens, completion_tokens).
NOT_SECRET_SUFFIXES = ("_tokens",)


class RegistryError(ValueError):
    """A source table the export cannot follow; the message says what to declare."""


@dataclass(frozen=True)
class ExportedTable:
    """One source table as the export sees it."""

    source: Table
    columns: tuple[Column[Any], ...]
    change_column: Column[Any]
    key_column: Column[Any]

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def append_only(self) -> bool:
        """Rows are written once and never changed (else: `updated_at` tracks changes)."""
        return self.change_column.name != UPDATED_AT

    @property
    def excluded_columns(self) -> tuple[str, ...]:
        exported = {column.name for column in self.columns}
        return tuple(column.name for column in self.source.columns if column.name not in exported)


def export_registry(
    tables: MetaData | Iterable[Table], *, exclude: Collection[str] = ()
) -> tuple[ExportedTable, ...]:
    """The exported tables in dependency order (parents first), secrets removed."""
    sorted_tables = tables.sorted_tables if isinstance(tables, MetaData) else list(tables)
    unknown = set(exclude) - {table.name for table in sorted_tables}
    if unknown:
        raise RegistryError(f"excluded tables do not exist: {', '.join(sorted(unknown))}")
    return tuple(_exported(table) for table in sorted_tables if table.name not in exclude)


def _exported(table: Table) -> ExportedTable:
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        raise RegistryError(
            f"{table.name}: the export merges by one key column; this table has {len(keys)}"
        )
    if not isinstance(keys[0].type, UUIDString | String | Uuid):
        raise RegistryError(f"{table.name}: the export keeps its place by a text or UUID key")
    for column in table.columns:
        _refuse_unmarked_secret(table, column)
    # The key first, then the table's order (declarative puts mixin columns last).
    columns = tuple(
        column
        for column in (keys[0], *(other for other in table.columns if other is not keys[0]))
        if not is_secret(column)
    )
    change_column = _change_column(table)
    if change_column.nullable:
        raise RegistryError(
            f"{table.name}.{change_column.name}: the change column must be NOT NULL"
        )
    return ExportedTable(
        source=table, columns=columns, change_column=change_column, key_column=keys[0]
    )


def _change_column(table: Table) -> Column[Any]:
    inserted_at = append_only_by(table)
    if inserted_at is not None:
        if inserted_at not in table.columns:
            raise RegistryError(f"{table.name}: append_only({inserted_at!r}) names no column")
        return table.columns[inserted_at]
    if UPDATED_AT in table.columns:
        return table.columns[UPDATED_AT]
    raise RegistryError(
        f"{table.name}: the export cannot find its changes: give rows that change an "
        "updated_at column (orgair_database.UpdatedAt), or mark a table whose rows are "
        "never updated with __table_args__ info append_only()"
    )


def _refuse_unmarked_secret(table: Table, column: Column[Any]) -> None:
    if "secret" in column.info or column.name.endswith(NOT_SECRET_SUFFIXES):
        return
    if SECRET_LOOKING_PARTS & set(column.name.lower().split("_")):
        raise RegistryError(
            f"{table.name}.{column.name} looks like a secret: mark it info=secret() to keep "
            'it out of the warehouse, or info={"secret": False} to export it'
        )
