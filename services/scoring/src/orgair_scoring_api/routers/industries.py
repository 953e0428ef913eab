"""`/api/v1/industries` (CS1): the sector reference table, cached."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from orgair_domain import cache_keys
from orgair_domain.industries import service
from orgair_domain.industries.schemas import IndustryOut
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.cached_reads import read_model
from orgair_scoring_api.dependencies import ResourcesDep

router = APIRouter(prefix="/industries", tags=["industries"])


# async: a cache hit never leaves the event loop (see cached_reads).
@router.get("", response_model=list[IndustryOut])
async def list_industries(resources: ResourcesDep) -> Any:
    """Every industry; the list is the sector reference table, cached for CACHE_TTL_SECTORS."""
    return await read_model(
        resources,
        cache_keys.industry_list(resources.cache),
        resources.settings.CACHE_TTL_SECTORS,
        service.list_industries,
    )


@router.get("/{industry_id}", response_model=IndustryOut, responses=problem_responses(404))
async def get_industry(industry_id: uuid.UUID, resources: ResourcesDep) -> Any:
    return await read_model(
        resources,
        cache_keys.industry(resources.cache, industry_id),
        cache_keys.INDUSTRY_TTL,
        lambda session: service.get_industry(session, industry_id),
    )
