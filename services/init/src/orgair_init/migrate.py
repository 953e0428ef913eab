"""Alembic, driven from code so init, the CLI and the tests run the same migrations."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)


def find_alembic_ini() -> Path:
    """`ORGAIR_ALEMBIC_INI`, else the nearest `alembic.ini` above this package or the cwd."""
    explicit = os.environ.get("ORGAIR_ALEMBIC_INI")
    if explicit:
        return Path(explicit)
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for folder in (start, *start.parents):
            candidate = folder / "alembic.ini"
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(
        "alembic.ini not found (set ORGAIR_ALEMBIC_INI or run from the repository root)"
    )


def _config_file() -> Config:
    ini = find_alembic_ini()
    # Revisions import `migrations.helpers`: the folder holding `migrations/` must be
    # importable whether Alembic runs them (env.py) or only reads them (the head).
    root = str(ini.resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return Config(str(ini))


def alembic_config(url: str) -> Config:
    config = _config_file()
    # Alembic's ini interpolation treats '%' specially; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, sql: bool = False) -> None:
    command.upgrade(alembic_config(url), revision, sql=sql)


def downgrade(url: str, revision: str, *, sql: bool = False) -> None:
    command.downgrade(alembic_config(url), revision, sql=sql)


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config_file()).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def wait_for_head(url: str, *, timeout: float, interval: float = 2.0) -> bool:
    """Poll until the database is at the latest revision; False when `timeout` ran out.

    What a service replica runs before it starts, so it never serves an old schema
    while the init job is still migrating (and never migrates concurrently itself).
    A database that cannot be read yet (still starting) counts as not at head.
    """
    head = current_head()
    polling = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_exception_type(Exception) | retry_if_result(lambda at_head: not at_head),
        retry_error_callback=lambda _state: False,
    )
    at_head: bool = polling(lambda: current_revision(url) == head)
    return at_head
