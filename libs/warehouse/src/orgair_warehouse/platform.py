"""The platform's tables, wired to the export: the one place that names them.

Everything else in this package works on whatever tables it is given. Importing a
model module registers its tables on the shared metadata; every table registered there
is exported except the tables named below, every column except those marked `secret()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

import orgair_auth.models  # noqa: F401  (api_keys)
import orgair_llm.ledger_table  # noqa: F401  (llm_calls)
from orgair_config import Settings
from orgair_domain.models import metadata
from orgair_warehouse.connection import warehouse_engine
from orgair_warehouse.export import DEFAULT_RETRY_WAIT, Exporter, ExportProgress
from orgair_warehouse.registry import export_registry
from orgair_warehouse.schema import WarehouseTable, warehouse_tables

# Tables that stay in the system of record (by name); secrets are columns, marked on them.
# evidence_chunks: the items' extracted text, cut for the full-text index, whose integer
# row id is its key (the export merges by a text key); the warehouse gets the items.
EXCLUDED_TABLES: frozenset[str] = frozenset({"evidence_chunks"})


def platform_tables() -> tuple[WarehouseTable, ...]:
    return warehouse_tables(export_registry(metadata, exclude=EXCLUDED_TABLES))


def platform_exporter(
    settings: Settings,
    source: Engine,
    *,
    warehouse: Engine | None = None,
    tables: Sequence[WarehouseTable] | None = None,
    progress: ExportProgress | None = None,
    keep_alive: Callable[[], None] | None = None,
) -> Exporter:
    """The exporter the settings describe, over the platform's tables."""
    return Exporter(
        source,
        warehouse if warehouse is not None else warehouse_engine(settings),
        tables if tables is not None else platform_tables(),
        schema=settings.SNOWFLAKE_SCHEMA,
        batch_size=settings.WAREHOUSE_EXPORT_BATCH_SIZE,
        settle_seconds=settings.WAREHOUSE_EXPORT_SETTLE_SECONDS,
        max_attempts=settings.WAREHOUSE_EXPORT_MAX_ATTEMPTS,
        retry_wait=DEFAULT_RETRY_WAIT,
        progress=progress,
        keep_alive=keep_alive,
    )
