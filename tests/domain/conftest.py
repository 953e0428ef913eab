"""A fresh SQLite database with every table of the domain and the seed industries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from orgair_database import Database, build_engine
from orgair_domain.industries.seed import seed_industries
from orgair_domain.models import metadata


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(build_engine(f"sqlite:///{tmp_path / 'domain.db'}"))
    metadata.create_all(database.engine)
    with database.sessions() as session:
        seed_industries(session)
    yield database
    database.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as session:
        yield session
