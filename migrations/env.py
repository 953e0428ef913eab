"""Alembic environment: one migration history for the system of record (SQLite, PostgreSQL).

Snowflake is not a target: it is the warehouse, whose schema `orgair_warehouse` derives
from the same models (`orgair warehouse schema`).

The URL comes from `sqlalchemy.url` when a caller set it (init, tests, `-x url=`),
else from Settings. SQLite runs in batch mode so ALTERs work there too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import make_url

# Importing a model module registers its tables on the shared metadata.
import orgair_auth.models  # noqa: F401  (api_keys)
import orgair_llm.ledger_table  # noqa: F401  (llm_calls)
from orgair_domain.evidence.search_index import include_name, include_object
from orgair_domain.models import metadata

# Revisions import `migrations.helpers`; make the folder's parent importable
# whatever the caller's working directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

config = context.config


def _url() -> str:
    override = context.get_x_argument(as_dictionary=True).get("url")
    if override:
        return override
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    from orgair_config import load_settings_or_exit

    return load_settings_or_exit("migrate").database_url


def _options(url: str) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "render_as_batch": make_url(url).get_backend_name() == "sqlite",
        "compare_type": True,
        # Each backend's full-text index is the migrations' alone (not in the metadata).
        "include_name": include_name,
        "include_object": include_object,
    }


def run_offline() -> None:
    url = _url()
    context.configure(url=url, literal_binds=True, **_options(url))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = _url()
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, **_options(url))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, **_options(url))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
