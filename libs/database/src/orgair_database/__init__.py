"""Database access shared by the services: declarative base, engine, sessions."""

from orgair_database.base import (
    NAMING_CONVENTION,
    Base,
    CreatedAt,
    JSONText,
    UpdatedAt,
    UTCDateTime,
    UUIDPrimaryKey,
    UUIDString,
    utcnow,
)
from orgair_database.engine import Database, build_engine, describe_url
from orgair_database.table_info import append_only, secret

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "CreatedAt",
    "Database",
    "JSONText",
    "UTCDateTime",
    "UUIDPrimaryKey",
    "UUIDString",
    "UpdatedAt",
    "append_only",
    "build_engine",
    "describe_url",
    "secret",
    "utcnow",
]
