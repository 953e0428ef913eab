from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from orgair_scoring_api.dependencies import CacheDep, SessionDep, SettingsDep
from orgair_scoring_api.industries import service
from orgair_scoring_api.industries.schemas import IndustryOut

router = APIRouter(prefix="/industries", tags=["industries"])


@router.get("", response_model=list[IndustryOut])
def list_industries(session: SessionDep, cache: CacheDep, settings: SettingsDep) -> Any:
    return service.list_industries(session, cache, settings)


@router.get("/{industry_id}", response_model=IndustryOut)
def get_industry(industry_id: uuid.UUID, session: SessionDep, cache: CacheDep) -> Any:
    return service.get_industry(session, cache, industry_id)
