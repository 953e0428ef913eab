"""`orgair export snowflake` and `orgair warehouse schema | docs | verify`: the warehouse.

`export snowflake` brings the warehouse schema up to date and merges every change since
the last export, table by table, with a progress bar and one summary line. It takes the
same lock as the worker's periodic export, so the two never run at once. Errors are one
line and a non-zero exit: 1 when the export failed (committed batches stay; the next run
resumes), 2 for settings (no warehouse configured).

The packages behind these commands are imported inside them, so `orgair --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from orgair_config import Settings, load_settings_or_exit

if TYPE_CHECKING:
    from orgair_warehouse.schema import WarehouseTable

console = Console(stderr=True)
export_app = typer.Typer(name="export", help="Export the platform's records.", no_args_is_help=True)
warehouse_app = typer.Typer(
    name="warehouse",
    help="The Snowflake warehouse: schema, reference, checks.",
    no_args_is_help=True,
)
EXIT_EXPORT_FAILED = 1
EXIT_NOT_CONFIGURED = 2


class ProgressBars:
    """`ExportProgress` drawn by rich: one bar per table, rows merged of rows pending."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._merged: dict[str, int] = {}

    def table_started(self, table: str, pending: int) -> None:
        self._tasks[table] = self._progress.add_task(table, total=pending)
        self._merged[table] = 0

    def rows_merged(self, table: str, rows: int) -> None:
        self._merged[table] += rows
        self._progress.advance(self._tasks[table], rows)

    def table_finished(self, table: str) -> None:
        # Rows written while the table was exported may have joined the batches.
        merged = self._merged[table]
        self._progress.update(self._tasks[table], total=merged, completed=merged)


def _settings(command: str) -> Settings:
    settings = load_settings_or_exit(f"orgair {command}")
    if not settings.warehouse_configured:
        console.print(
            f"orgair {command}: no warehouse configured: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, "
            "SNOWFLAKE_PASSWORD and SNOWFLAKE_WAREHOUSE",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_NOT_CONFIGURED)
    return settings


def _fail(command: str, line: str) -> typer.Exit:
    console.print(f"orgair {command}: {line}", markup=False, soft_wrap=True)
    return typer.Exit(EXIT_EXPORT_FAILED)


@export_app.command("snowflake")
def export_snowflake(
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1, max=100_000, help="rows per batch (default WAREHOUSE_EXPORT_BATCH_SIZE)"
        ),
    ] = None,
) -> None:
    """Merge every change since the last export into Snowflake (idempotent, resumable)."""
    from orgair_database import Database
    from orgair_warehouse.lock import export_lock
    from orgair_warehouse.platform import platform_exporter
    from orgair_warehouse.runs import run_export

    command = "export snowflake"
    settings = _settings(command)
    if batch_size is not None:
        settings = settings.model_copy(update={"WAREHOUSE_EXPORT_BATCH_SIZE": batch_size})
    _quiet_logging(settings)
    database = Database.from_settings(settings)
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            exporter = platform_exporter(settings, database.engine, progress=ProgressBars(progress))
            run = run_export(
                exporter,
                export_lock(settings),
                without_redis=lambda reason: console.print(
                    f"orgair {command}: {reason}; exporting without it",
                    markup=False,
                    soft_wrap=True,
                ),
            )
    finally:
        database.dispose()
    if run.outcome in ("failed", "skipped"):
        raise _fail(command, run.line)
    console.print(f"{command}: {run.line}", markup=False, soft_wrap=True)


@warehouse_app.command("schema")
def schema(
    sql: Annotated[
        bool, typer.Option(help="print the DDL instead of running it (offline)")
    ] = False,
) -> None:
    """Create the warehouse tables and add missing columns (idempotent)."""
    from orgair_warehouse.export import describe_error
    from orgair_warehouse.platform import platform_tables
    from orgair_warehouse.schema import ensure_schema, schema_ddl

    tables = platform_tables()
    if sql:
        for statement in schema_ddl(tables):
            typer.echo(statement + ";\n")
        return
    settings = _settings("warehouse schema")
    from orgair_warehouse.connection import warehouse_engine

    engine = warehouse_engine(settings)
    try:
        with engine.connect() as connection:
            changes = ensure_schema(connection, tables, schema=settings.SNOWFLAKE_SCHEMA)
    except Exception as exc:
        raise _fail("warehouse schema", describe_error(exc)) from None
    finally:
        engine.dispose()
    console.print(f"warehouse schema: {changes.summary()}", markup=False, soft_wrap=True)


@warehouse_app.command("docs")
def docs() -> None:
    """Print the reference of the warehouse tables (Markdown)."""
    from orgair_warehouse.docs import tables_markdown
    from orgair_warehouse.platform import platform_tables

    typer.echo(tables_markdown(platform_tables()), nl=False)


@warehouse_app.command("verify")
def verify() -> None:
    """Compare row counts and checksums of every table with the source (run when quiet)."""
    from orgair_database import Database
    from orgair_warehouse.connection import warehouse_engine
    from orgair_warehouse.export import describe_error
    from orgair_warehouse.platform import platform_tables
    from orgair_warehouse.reconcile import reconcile

    settings = _settings("warehouse verify")
    database = Database.from_settings(settings)
    engine = warehouse_engine(settings)
    tables: tuple[WarehouseTable, ...] = platform_tables()
    try:
        checks = reconcile(database.engine, engine, tables)
    except Exception as exc:
        raise _fail("warehouse verify", describe_error(exc)) from None
    finally:
        engine.dispose()
        database.dispose()
    for check in checks:
        typer.echo(check.line)
    differing = [check.table for check in checks if not check.matches]
    if differing:
        raise _fail("warehouse verify", f"{len(differing)} tables differ: {', '.join(differing)}")
    console.print(
        f"warehouse verify: {len(checks)} tables match the source", markup=False, soft_wrap=True
    )


def _quiet_logging(settings: Settings) -> None:
    """Warnings (retries) on stderr as console lines; the bar and the summary say the rest."""
    import logging

    from orgair_observability import configure_logging

    configure_logging(service="orgair", level="WARNING", fmt="console")
    logging.getLogger("snowflake").setLevel(logging.ERROR)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app)
    app.add_typer(warehouse_app)
