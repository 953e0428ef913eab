"""Idempotent reference data."""

from __future__ import annotations

from orgair_config import Settings
from orgair_database import Database
from orgair_domain.industries.seed import seed_industries


def seed(settings: Settings) -> int:
    """Insert the CS1 industries that are missing; returns how many were added."""
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            return seed_industries(session)
    finally:
        database.dispose()
