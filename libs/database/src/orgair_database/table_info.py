"""What a table tells readers other than the API: how its changes can be found, and which
of its columns must never leave the system of record.

The warehouse export reads every table from the metadata and relies on these facts:
- a table whose rows change has an `updated_at` column (`UpdatedAt`) that every UPDATE
  sets;
- a table whose rows are written once and never changed says so with `append_only()`
  in its `__table_args__` info, naming the column that orders its inserts;
- a column holding a secret (a key's HMAC) is marked `info=secret()` and is never
  exported.
A table that is neither cannot be exported correctly, and the export refuses it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table

APPEND_ONLY_KEY = "append_only_by"
SECRET_FLAG = "secret"  # noqa: S105 (an info key, not a password)
UPDATED_AT = "updated_at"


def append_only(inserted_at: str = "created_at") -> dict[str, Any]:
    """Table info: rows are never updated; `inserted_at` orders the inserts."""
    return {APPEND_ONLY_KEY: inserted_at}


def secret() -> dict[str, Any]:
    """Column info: the value is a secret (or derived from one) and stays here."""
    return {SECRET_FLAG: True}


def append_only_by(table: Table) -> str | None:
    """The insertion timestamp of an append-only table; None for a table whose rows change."""
    value = table.info.get(APPEND_ONLY_KEY)
    return str(value) if value else None


def is_secret(column: Column[Any]) -> bool:
    return bool(column.info.get(SECRET_FLAG))
