"""Evidence tests run on both databases: the full-text index differs underneath
(SQLite's FTS5 table and triggers, PostgreSQL's generated tsvector and GIN index)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text

from orgair_config import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    if request.param == "sqlite":
        return make_settings()
    server: str = request.getfixturevalue("postgres_url")
    database = f"evidence_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {database}"))
    engine.dispose()
    return make_settings(DATABASE_URL=f"{server.rsplit('/', 1)[0]}/{database}")
