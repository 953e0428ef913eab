"""`orgair preflight | migrate | seed`: the init job's steps, one at a time.

The init package (Alembic, boto3, the scoring models) is imported inside each
command, so `orgair --help` and the other commands start quickly.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from orgair_config import load_settings_or_exit

console = Console(stderr=True)


def preflight() -> None:
    """Check the database, Redis and S3 for real (with bounded retries)."""
    from orgair_init.job import EXIT_PREFLIGHT_FAILED
    from orgair_init.preflight import run_preflight

    settings = load_settings_or_exit("orgair preflight")
    results = run_preflight(settings)
    # One whole line per dependency (no table: a table cuts long reasons short).
    for result in results:
        typer.echo(f"orgair preflight: {result.line()}", err=True)
    if not all(result.ok for result in results):
        raise typer.Exit(EXIT_PREFLIGHT_FAILED)


def migrate(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    downgrade: Annotated[bool, typer.Option(help="downgrade to REVISION instead")] = False,
    sql: Annotated[
        bool, typer.Option(help="print the SQL instead of running it (offline mode)")
    ] = False,
) -> None:
    """Apply (or revert) database migrations."""
    from orgair_init import migrate as migrations
    from orgair_init.job import EXIT_MIGRATION_FAILED

    settings = load_settings_or_exit("orgair migrate")
    try:
        if downgrade:
            migrations.downgrade(settings.database_url, revision, sql=sql)
        else:
            migrations.upgrade(settings.database_url, revision, sql=sql)
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0][:300]
        console.print(f"orgair migrate: {type(exc).__name__}: {first}", markup=False)
        raise typer.Exit(EXIT_MIGRATION_FAILED) from None


def seed() -> None:
    """Insert the reference industries that are missing (idempotent)."""
    from orgair_init.seed import seed as seed_reference_data

    settings = load_settings_or_exit("orgair seed")
    added = seed_reference_data(settings)
    console.print(f"seed: {added} industr{'y' if added == 1 else 'ies'} added")


def register(app: typer.Typer) -> None:
    app.command()(preflight)
    app.command()(migrate)
    app.command()(seed)
