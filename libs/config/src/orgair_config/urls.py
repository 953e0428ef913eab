"""Checks that a URL-valued setting can be used at all, before anything connects with it.

Without them a mistyped URL surfaced deep inside SQLAlchemy, redis-py or botocore
as a 30-line traceback (`not-a-url`, a port that is not a number, a driver that does
not exist). Here it is one line naming the variable, at start. The messages never
quote the value: a URL may hold a password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["check_database_url", "check_url"]

DATABASE_URL_EXAMPLE = "postgresql+psycopg://user:password@host:5432/orgair"
INSTALLED_DRIVERS = "sqlite, postgresql+psycopg, snowflake"


def check_database_url(url: str) -> None:
    """Raises ValueError unless `url` parses as a SQLAlchemy URL of an installed dialect."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(
            f"not a SQLAlchemy database URL or its port is not a number "
            f"(e.g. {DATABASE_URL_EXAMPLE} or sqlite:///var/orgair.db)"
        ) from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValueError("the port must be 1..65535")
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValueError(
            f"unknown database driver {parsed.drivername!r} (installed: {INSTALLED_DRIVERS})"
        ) from None
    if getattr(dialect, "is_async", False):
        raise ValueError(
            f"{parsed.drivername!r} is an asyncio driver; the platform needs a synchronous "
            f"one (installed: {INSTALLED_DRIVERS})"
        )
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ValueError(
            f"the driver of {parsed.drivername!r} is not installed (installed: {INSTALLED_DRIVERS})"
        ) from None


def check_url(url: str, *, schemes: frozenset[str]) -> None:
    """Raises ValueError unless `url` has one of `schemes`, a host (or a socket path for
    ``unix``) and, if any, a numeric port in range."""
    try:
        parts = urlsplit(url)
        port = parts.port  # parsing the port raises for a non-number or out of range
    except ValueError:
        raise ValueError("not a URL, or its port is not a number in 0..65535") from None
    if parts.scheme not in schemes:
        raise ValueError(f"the scheme must be one of {', '.join(sorted(schemes))}")
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError("the URL names no host")
    if port == 0:
        raise ValueError("the port must be 1..65535")
