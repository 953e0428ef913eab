"""The incremental export: each table from its high-water mark, in batches that are
staged and merged in one Snowflake transaction together with the mark's advance.

Per table, the high-water mark is (change time, id) of the last row merged, kept in
`_export_state` in the warehouse. The change time is `updated_at` for tables whose rows
change and the insertion time for append-only ones (see `registry`). A batch is the next
`batch_size` source rows after the mark, in (change time, id) order, up to a bound that
lags the clock by `settle_seconds`: a write transaction that took its timestamp before
the bound but commits after it is still picked up, because the mark never passes it.

One batch, one transaction: delete the temporary stage table, insert the rows into it,
`MERGE INTO target USING stage ON id` (a newer warehouse row is never overwritten by an
older one), and move the mark, guarded by its version so that two exporters can never
both advance it. Either all of that commits or none of it: an export interrupted
anywhere resumes at the last committed batch, a rerun finds nothing after the mark and
writes nothing, and an updated source row (newer `updated_at`) is merged over its old
version. Transient errors (connection, timeout) are retried with exponential back-off;
a batch that still fails stops that table's export with one line saying why.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from snowflake.sqlalchemy import MergeInto
from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql.elements import ColumnElement
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from orgair_database import utcnow
from orgair_observability import get_logger
from orgair_observability.metrics import (
    WAREHOUSE_EXPORT_FAILURES,
    WAREHOUSE_EXPORT_LAG,
    WAREHOUSE_LAST_EXPORT,
    WAREHOUSE_ROWS_EXPORTED,
)
from orgair_warehouse.schema import (
    EXPORTED_AT,
    SchemaChanges,
    WarehouseTable,
    create_table_ddl,
    ensure_schema,
    export_state,
    is_variant,
)

log = get_logger(__name__)

# Snowflake caps a statement's text at 1 MB; the stage is filled in statements well below.
STAGE_INSERT_MAX_CHARS = 400_000
DEFAULT_RETRY_WAIT: wait_base = wait_exponential_jitter(initial=1, max=30)


class ExportProgress(Protocol):
    """What a caller is told while the export runs (the CLI draws a progress bar)."""

    def table_started(self, table: str, pending: int) -> None: ...

    def rows_merged(self, table: str, rows: int) -> None: ...

    def table_finished(self, table: str) -> None: ...


@dataclass(frozen=True)
class Watermark:
    changed_at: datetime | None
    key: str | None
    version: int


@dataclass(frozen=True)
class TableOutcome:
    table: str
    rows: int
    batches: int
    complete: bool
    lag_seconds: float


@dataclass(frozen=True)
class ExportReport:
    tables: tuple[TableOutcome, ...]
    schema: SchemaChanges
    seconds: float

    @property
    def rows(self) -> int:
        return sum(outcome.rows for outcome in self.tables)

    @property
    def complete(self) -> bool:
        return all(outcome.complete for outcome in self.tables)

    def summary(self) -> str:
        changed = ", ".join(f"{o.table} {o.rows}" for o in self.tables if o.rows)
        line = (
            f"{self.rows} row{'' if self.rows == 1 else 's'} merged into "
            f"{sum(1 for o in self.tables if o.rows)} of {len(self.tables)} tables"
            f"{f' ({changed})' if changed else ''} in {self.seconds:.1f} s"
        )
        pending = [o.table for o in self.tables if not o.complete]
        if pending:
            line += f"; time budget reached, next run continues with {', '.join(pending)}"
        if self.schema.changed:
            line += f"; {self.schema.summary()}"
        return line


class ExportFailed(RuntimeError):
    """A table's batch (or the schema step) failed after every retry; the batch in flight
    was rolled back and earlier batches stay committed. The message is one line."""

    def __init__(self, table: str, cause: BaseException, completed: Sequence[TableOutcome]):
        self.table = table
        self.cause = cause
        self.completed = tuple(completed)
        super().__init__(f"{table}: {describe_error(cause)}")


class ConcurrentExport(RuntimeError):
    """Another export moved this table's high-water mark first; this batch was rolled back."""


def describe_error(error: BaseException) -> str:
    """One line: the error type and the first line of the driver's message (never the SQL
    or its parameters, which hold row values)."""
    cause = error.orig if isinstance(error, sa_exc.DBAPIError) and error.orig else error
    first = (str(cause).strip().splitlines() or [""])[0][:300]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


def is_transient(error: BaseException) -> bool:
    """Worth another try: the connection or a timeout, not the statement or the data."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError) and isinstance(error.orig, sqlite3.Error):
        # SQLite raises OperationalError for a missing table too; only a lock passes.
        return any(word in str(error.orig).lower() for word in ("locked", "busy"))
    return isinstance(
        error,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | ConnectionError
        | TimeoutError,
    )


class _WarehouseSession:
    """One warehouse connection and the stage tables created in it (temporary: they
    vanish with the session, so a reconnect creates them again)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._staged: set[str] = set()

    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect()
            self._staged.clear()
        return self._connection

    def stage_for(self, table: WarehouseTable) -> Connection:
        connection = self.connection()
        if table.name not in self._staged:
            # DDL commits on Snowflake: never inside a batch's transaction.
            connection.exec_driver_sql(create_table_ddl(table.stage, temporary=True))
            connection.commit()
            self._staged.add(table.name)
        return connection

    def reset(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            finally:
                self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class Exporter:
    """Exports `tables` from the `source` database to the `warehouse`, incrementally."""

    def __init__(
        self,
        source: Engine,
        warehouse: Engine,
        tables: Sequence[WarehouseTable],
        *,
        schema: str,
        batch_size: int = 5000,
        settle_seconds: float = 60.0,
        max_attempts: int = 5,
        retry_wait: wait_base = DEFAULT_RETRY_WAIT,
        clock: Callable[[], datetime] = utcnow,
        progress: ExportProgress | None = None,
        keep_alive: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.warehouse = warehouse
        self.tables = tuple(tables)
        self.schema = schema
        self.batch_size = batch_size
        self.settle = timedelta(seconds=settle_seconds)
        self.max_attempts = max_attempts
        self.retry_wait = retry_wait
        self.clock = clock
        self.progress = progress
        self.keep_alive = keep_alive

    def ensure_schema(self) -> SchemaChanges:
        with self.warehouse.connect() as connection:
            return ensure_schema(connection, self.tables, schema=self.schema)

    def run(self, *, time_budget_seconds: float | None = None) -> ExportReport:
        """Every table up to now - settle; with a budget, no batch starts after it ran out."""
        started = time.monotonic()
        deadline = None if time_budget_seconds is None else started + time_budget_seconds
        session = _WarehouseSession(self.warehouse)
        outcomes: list[TableOutcome] = []
        try:
            try:
                changes = self._retrying(lambda: self._ensure_schema(session), session, "schema")
            except Exception as error:
                raise ExportFailed("schema", error, outcomes) from error
            bound = self.clock() - self.settle
            for table in self.tables:
                if deadline is not None and time.monotonic() >= deadline:
                    outcomes.append(TableOutcome(table.name, 0, 0, False, 0.0))
                    continue
                try:
                    outcomes.append(self._export_table(session, table, bound, deadline))
                except Exception as error:
                    WAREHOUSE_EXPORT_FAILURES.labels(table.name).inc()
                    raise ExportFailed(table.name, error, outcomes) from error
        finally:
            session.close()
        report = ExportReport(tuple(outcomes), changes, time.monotonic() - started)
        log.info("warehouse_export_finished", rows=report.rows, complete=report.complete)
        return report

    # --- one table ---------------------------------------------------------------------

    def _ensure_schema(self, session: _WarehouseSession) -> SchemaChanges:
        return ensure_schema(session.connection(), self.tables, schema=self.schema)

    def _export_table(
        self,
        session: _WarehouseSession,
        table: WarehouseTable,
        bound: datetime,
        deadline: float | None,
    ) -> TableOutcome:
        mark = self._retrying(lambda: self._current_watermark(session, table), session, table)
        if self.progress:
            self.progress.table_started(table.name, self._pending(table, mark, bound))
        rows = batches = 0
        complete = True
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                complete = False
                break
            merged = self._retrying(lambda: self._batch(session, table, bound), session, table)
            if merged == 0:
                break
            rows += merged
            batches += 1
            WAREHOUSE_ROWS_EXPORTED.labels(table.name).inc(merged)
            if self.progress:
                self.progress.rows_merged(table.name, merged)
            if self.keep_alive:
                self.keep_alive()
            if merged < self.batch_size:
                break
        mark = self._retrying(lambda: self._current_watermark(session, table), session, table)
        lag = self._lag_seconds(table, mark)
        WAREHOUSE_EXPORT_LAG.labels(table.name).set(lag)
        WAREHOUSE_LAST_EXPORT.labels(table.name).set(time.time())
        if self.progress:
            self.progress.table_finished(table.name)
        log.info("warehouse_table_exported", table=table.name, rows=rows, batches=batches)
        return TableOutcome(table.name, rows, batches, complete, lag)

    def _retrying(
        self, work: Callable[[], Any], session: _WarehouseSession, what: WarehouseTable | str
    ) -> Any:
        name = what if isinstance(what, str) else what.name

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "warehouse_export_retrying",
                table=name,
                attempt=state.attempt_number,
                error=describe_error(error) if error else None,
            )
            session.reset()  # a fresh connection (and stage tables) for the next attempt

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.retry_wait,
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(work)

    # --- one batch ---------------------------------------------------------------------

    def _batch(self, session: _WarehouseSession, table: WarehouseTable, bound: datetime) -> int:
        connection = session.stage_for(table)
        with connection.begin():
            mark = _read_watermark(connection, table)
            rows = self._read_source(table, mark, bound)
            if not rows:
                return 0
            stage = table.stage
            connection.execute(stage.delete())
            for chunk in _chunks_by_size(rows):
                connection.execute(stage.insert(), chunk)
            connection.execute(self._merge(table), {"exported_at": self.clock()})
            last = rows[-1]
            change = table.exported.change_column.name
            key = table.exported.key_column.name
            moved = connection.execute(
                export_state.update()
                .where(
                    export_state.c.table_name == table.name,
                    export_state.c.version == mark.version,
                )
                .values(
                    watermark_at=last[change],
                    watermark_id=str(last[key]),
                    version=mark.version + 1,
                    rows_merged=export_state.c.rows_merged + len(rows),
                    batches=export_state.c.batches + 1,
                    updated_at=self.clock(),
                )
            )
            if moved.rowcount != 1:
                raise ConcurrentExport(
                    f"{table.name}: another export advanced the high-water mark first"
                )
        return len(rows)

    def _merge(self, table: WarehouseTable) -> MergeInto:
        target, stage = table.target, table.stage
        key = table.exported.key_column.name
        change = table.exported.change_column.name
        staged = select(
            *(
                func.parse_json(stage.c[column.name]).label(column.name)
                if is_variant(column)
                else stage.c[column.name]
                for column in target.columns
                if column.name != EXPORTED_AT
            )
        ).subquery("s")
        exported_at = bindparam("exported_at", type_=target.c[EXPORTED_AT].type)
        values: dict[str, Any] = {
            column.name: staged.c[column.name]
            for column in target.columns
            if column.name != EXPORTED_AT
        }
        values[EXPORTED_AT] = exported_at
        updates = {name: value for name, value in values.items() if name != key}
        merge = MergeInto(target, staged, target.c[key] == staged.c[key])
        # A warehouse row is only ever replaced by the same or a newer version of it.
        merge.when_matched_then_update().where(target.c[change] <= staged.c[change]).values(
            **updates
        )
        merge.when_not_matched_then_insert().values(**values)
        return merge

    def _current_watermark(self, session: _WarehouseSession, table: WarehouseTable) -> Watermark:
        connection = session.connection()
        with connection.begin():
            return _read_watermark(connection, table)

    def _after_mark(self, table: WarehouseTable, mark: Watermark) -> ColumnElement[bool] | None:
        if mark.changed_at is None:
            return None
        change = table.exported.change_column
        key = table.exported.key_column
        return or_(change > mark.changed_at, and_(change == mark.changed_at, key > mark.key))

    def _read_source(
        self, table: WarehouseTable, mark: Watermark, bound: datetime
    ) -> list[dict[str, Any]]:
        source = table.exported
        conditions: list[ColumnElement[bool]] = [source.change_column <= bound]
        after = self._after_mark(table, mark)
        if after is not None:
            conditions.append(after)
        statement = (
            select(*source.columns)
            .where(*conditions)
            .order_by(source.change_column, source.key_column)
            .limit(self.batch_size)
        )
        with self.source.connect() as connection:
            return [
                {name: _bindable(value) for name, value in row._mapping.items()}
                for row in connection.execute(statement)
            ]

    def _pending(self, table: WarehouseTable, mark: Watermark, bound: datetime) -> int:
        source = table.exported
        conditions: list[ColumnElement[bool]] = [source.change_column <= bound]
        after = self._after_mark(table, mark)
        if after is not None:
            conditions.append(after)
        with self.source.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(source.source).where(*conditions)
                ).scalar_one()
            )

    def _lag_seconds(self, table: WarehouseTable, mark: Watermark) -> float:
        """Age of the oldest source change after the mark (settling rows included)."""
        source = table.exported
        statement = select(func.min(source.change_column))
        after = self._after_mark(table, mark)
        if after is not None:
            statement = statement.where(after)
        with self.source.connect() as connection:
            oldest = connection.execute(statement).scalar()
        if oldest is None:
            return 0.0
        age: timedelta = self.clock() - oldest
        return max(0.0, age.total_seconds())


def _read_watermark(connection: Connection, table: WarehouseTable) -> Watermark:
    row = connection.execute(
        select(
            export_state.c.watermark_at, export_state.c.watermark_id, export_state.c.version
        ).where(export_state.c.table_name == table.name)
    ).one()
    return Watermark(changed_at=row[0], key=row[1], version=int(row[2]))


def _bindable(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


def _chunks_by_size(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped so that each INSERT's rendered text stays far below Snowflake's cap."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = sum(len(str(value)) + 8 for value in row.values())
        if current and size + row_size > STAGE_INSERT_MAX_CHARS:
            chunks.append(current)
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        chunks.append(current)
    return chunks
