"""Database access shared by the services: declarative base, engine, sessions."""

from orgair_database.base import (
    NAMING_CONVENTION,
    Base,
    CreatedAt,
    UTCDateTime,
    UUIDPrimaryKey,
    UUIDString,
    utcnow,
)
from orgair_database.engine import Database, build_engine, describe_url

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "CreatedAt",
    "Database",
    "UTCDateTime",
    "UUIDPrimaryKey",
    "UUIDString",
    "build_engine",
    "describe_url",
    "utcnow",
]
