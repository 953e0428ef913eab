"""Do the warehouse tables hold what the source holds? Row counts and checksums per table.

A table's checksum is the sum (mod 2^128) of one digest per row, so it does not depend on
row order (the two databases sort text differently). Each value is first put in one
canonical form, so the same value read from either side digests the same: UTC
timestamps to the microsecond, JSON re-serialised with sorted keys and numbers as
floats (a VARIANT prints `1.0` as `1`), UUIDs as text. Only the exported columns count
(`_exported_at` exists on one side only). Meaningful while the source is quiet, e.g.
right after an export with no writes in between.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Engine, select

from orgair_warehouse.schema import EXPORTED_AT, WarehouseTable, is_variant

_MODULUS = 2**128


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    warehouse_rows: int
    source_checksum: int
    warehouse_checksum: int

    @property
    def matches(self) -> bool:
        return (self.source_rows, self.source_checksum) == (
            self.warehouse_rows,
            self.warehouse_checksum,
        )

    @property
    def line(self) -> str:
        verdict = "ok" if self.matches else "DIFFERS"
        return (
            f"{self.table}: {verdict} (source {self.source_rows} rows {self.source_checksum:032x}, "
            f"warehouse {self.warehouse_rows} rows {self.warehouse_checksum:032x})"
        )


def canonical(value: Any, *, json_text: bool = False) -> str:
    if value is None:
        return "\x00"
    if json_text:
        return json.dumps(json.loads(value, parse_int=float), sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else repr(float(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def _count_and_checksum(
    engine: Engine, columns: Sequence[Column[Any]], json_columns: set[str]
) -> tuple[int, int]:
    rows = 0
    total = 0
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=5000).execute(select(*columns))
        for row in result:
            text = "\x1f".join(
                canonical(value, json_text=column.name in json_columns)
                for column, value in zip(columns, row, strict=True)
            )
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            total = (total + int.from_bytes(digest, "big")) % _MODULUS
            rows += 1
    return rows, total


def reconcile(
    source: Engine, warehouse: Engine, tables: Sequence[WarehouseTable]
) -> list[TableCheck]:
    """One check per table: the exported source columns against their warehouse copy."""
    checks = []
    for table in tables:
        json_columns = {column.name for column in table.target.columns if is_variant(column)}
        in_warehouse = [column for column in table.target.columns if column.name != EXPORTED_AT]
        source_rows, source_sum = _count_and_checksum(source, table.exported.columns, json_columns)
        warehouse_rows, warehouse_sum = _count_and_checksum(warehouse, in_warehouse, json_columns)
        checks.append(
            TableCheck(table.name, source_rows, warehouse_rows, source_sum, warehouse_sum)
        )
    return checks
