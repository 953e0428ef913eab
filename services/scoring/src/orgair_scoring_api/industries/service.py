from __future__ import annotations

import uuid
from typing import Any

from orgair_cache import Cache
from orgair_config import Settings
from orgair_database import Database
from orgair_observability import NotFound
from orgair_scoring_api import cache_keys
from orgair_scoring_api.cached_reads import read_through
from orgair_scoring_api.industries import repository
from orgair_scoring_api.industries.schemas import IndustryOut


async def read_industry(cache: Cache, database: Database, industry_id: uuid.UUID) -> Any:
    """The industry as the cached JSON response, or loaded and cached; 404 when absent."""

    def load() -> dict[str, Any] | None:
        with database.sessions() as session:
            industry = repository.get(session, industry_id)
            return (
                None
                if industry is None
                else IndustryOut.model_validate(industry).model_dump(mode="json")
            )

    key = cache_keys.industry(cache, industry_id)
    found = await read_through(cache, key, cache_keys.INDUSTRY_TTL, load)
    if found is None:
        raise NotFound("industry", industry_id)
    return found


async def read_industries(cache: Cache, database: Database, settings: Settings) -> Any:
    """Every industry; the list is the sector reference table, cached for CACHE_TTL_SECTORS."""

    def load() -> list[dict[str, Any]]:
        with database.sessions() as session:
            return [
                IndustryOut.model_validate(row).model_dump(mode="json")
                for row in repository.list_all(session)
            ]

    key = cache_keys.industry_list(cache)
    return await read_through(cache, key, settings.CACHE_TTL_SECTORS, load)
