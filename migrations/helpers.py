"""What differs per backend inside a migration.

Snowflake rejects CHECK constraints and (outside hybrid tables) CREATE INDEX, so
those are created only where the database supports them; the API validates the
same rules for every backend.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op


def supports_checks_and_indexes() -> bool:
    return op.get_context().dialect.name != "snowflake"


def checks(*constraints: tuple[str, str]) -> list[sa.CheckConstraint]:
    """CHECK constraints as (full name, condition), or none on Snowflake.

    The names are final (`op.f`): the metadata's naming convention would otherwise
    prefix them a second time.
    """
    if not supports_checks_and_indexes():
        return []
    return [sa.CheckConstraint(condition, name=op.f(name)) for name, condition in constraints]


def create_index(name: str, table: str, columns: list[str], **options: Any) -> None:
    """An index, or none on Snowflake; `options` as for `op.create_index` (unique, where)."""
    if supports_checks_and_indexes():
        op.create_index(name, table, columns, **options)


def drop_index(name: str, table: str) -> None:
    if supports_checks_and_indexes():
        op.drop_index(name, table_name=table)
