"""The warehouse's SQLAlchemy engine, from the SNOWFLAKE_* settings.

Snowflake's own endpoint (`<account>.snowflakecomputing.com`) unless
`SNOWFLAKE_ENDPOINT_URL` names another one (the fakesnow emulator in tests). Sessions run
in UTC and carry a query tag, so the export's statements are easy to find in Snowflake's
query history. No pool: an export holds one connection for its whole run (its staging
tables are temporary, so they live exactly as long as that session).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from snowflake.sqlalchemy import URL
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from orgair_config import Settings

QUERY_TAG = "orgair-warehouse-export"
LOGIN_TIMEOUT_SECONDS = 30
NETWORK_TIMEOUT_SECONDS = 300


class WarehouseNotConfigured(RuntimeError):
    """SNOWFLAKE_ACCOUNT is empty: there is no warehouse to export to."""


def warehouse_engine(settings: Settings) -> Engine:
    if not settings.warehouse_configured or settings.SNOWFLAKE_PASSWORD is None:
        raise WarehouseNotConfigured(
            "no warehouse configured: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, "
            "SNOWFLAKE_PASSWORD and SNOWFLAKE_WAREHOUSE"
        )
    url = URL(
        account=settings.SNOWFLAKE_ACCOUNT,
        user=settings.SNOWFLAKE_USER,
        password=settings.SNOWFLAKE_PASSWORD.get_secret_value(),
        database=settings.SNOWFLAKE_DATABASE,
        schema=settings.SNOWFLAKE_SCHEMA,
        warehouse=settings.SNOWFLAKE_WAREHOUSE,
        role=settings.SNOWFLAKE_ROLE,
    )
    connect_args: dict[str, Any] = {
        "session_parameters": {"TIMEZONE": "UTC", "QUERY_TAG": QUERY_TAG},
        "login_timeout": LOGIN_TIMEOUT_SECONDS,
        "network_timeout": NETWORK_TIMEOUT_SECONDS,
    }
    if settings.SNOWFLAKE_ENDPOINT_URL:
        endpoint = urlsplit(settings.SNOWFLAKE_ENDPOINT_URL)
        protocol = endpoint.scheme or "https"
        connect_args.update(
            host=endpoint.hostname,
            port=endpoint.port or (443 if protocol == "https" else 80),
            protocol=protocol,
        )
    return create_engine(url, connect_args=connect_args, poolclass=NullPool)
