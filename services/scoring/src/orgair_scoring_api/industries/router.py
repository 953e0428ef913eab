from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from orgair_scoring_api.dependencies import ResourcesDep
from orgair_scoring_api.industries import service
from orgair_scoring_api.industries.schemas import IndustryOut

router = APIRouter(prefix="/industries", tags=["industries"])


# async: a cache hit never leaves the event loop (see cached_reads).
@router.get("", response_model=list[IndustryOut])
async def list_industries(resources: ResourcesDep) -> Any:
    return await service.read_industries(resources.cache, resources.database, resources.settings)


@router.get("/{industry_id}", response_model=IndustryOut)
async def get_industry(industry_id: uuid.UUID, resources: ResourcesDep) -> Any:
    return await service.read_industry(resources.cache, resources.database, industry_id)
