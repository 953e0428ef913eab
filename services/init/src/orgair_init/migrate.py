"""Alembic, driven from code so init, the CLI and the tests run the same migrations."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config


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


def alembic_config(url: str) -> Config:
    config = Config(str(find_alembic_ini()))
    # Alembic's ini interpolation treats '%' specially; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, sql: bool = False) -> None:
    command.upgrade(alembic_config(url), revision, sql=sql)


def downgrade(url: str, revision: str, *, sql: bool = False) -> None:
    command.downgrade(alembic_config(url), revision, sql=sql)


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(find_alembic_ini()))).get_current_head()
