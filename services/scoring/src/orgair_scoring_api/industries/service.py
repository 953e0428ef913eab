from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_observability import NotFound
from orgair_scoring_api import cache_keys
from orgair_scoring_api.industries import repository
from orgair_scoring_api.industries.schemas import IndustryOut


def get_industry(session: Session, cache: Cache, industry_id: uuid.UUID) -> dict[str, Any]:
    def load() -> dict[str, Any] | None:
        industry = repository.get(session, industry_id)
        return (
            None
            if industry is None
            else IndustryOut.model_validate(industry).model_dump(mode="json")
        )

    found = cache.get_or_load(
        cache_keys.industry(cache, industry_id), cache_keys.INDUSTRY_TTL, load
    )
    if found is None:
        raise NotFound("industry", industry_id)
    return found


def list_industries(session: Session, cache: Cache, settings: Settings) -> list[dict[str, Any]]:
    # The industry list is the sector reference table, cached for CACHE_TTL_SECTORS.
    def load() -> list[dict[str, Any]]:
        return [
            IndustryOut.model_validate(row).model_dump(mode="json")
            for row in repository.list_all(session)
        ]

    industries = cache.get_or_load(
        cache_keys.industry_list(cache), settings.CACHE_TTL_SECTORS, load
    )
    return industries if industries is not None else load()
