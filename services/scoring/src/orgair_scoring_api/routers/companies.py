"""`/api/v1/companies` (CS1)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from orgair_database.values import VISIBLE_TEXT
from orgair_domain import cache_keys
from orgair_domain.companies import service
from orgair_domain.companies.schemas import CompanyCreate, CompanyOut, CompanyUpdate
from orgair_domain.pagination import Page
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.cached_reads import read_model
from orgair_scoring_api.dependencies import CacheDep, PageDep, ResourcesDep, SessionDep

router = APIRouter(prefix="/companies", tags=["companies"])


@router.post(
    "",
    response_model=CompanyOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400),
)
def create_company(body: CompanyCreate, session: SessionDep) -> CompanyOut:
    return service.create_company(session, body)


@router.get("", response_model=Page[CompanyOut])
def list_companies(
    session: SessionDep,
    page: PageDep,
    industry_id: uuid.UUID | None = None,
    q: Annotated[
        str | None,
        Query(max_length=255, description="Part of the name or ticker, in any case"),
        VISIBLE_TEXT,
    ] = None,
) -> Page[CompanyOut]:
    return service.list_companies(session, industry_id=industry_id, page=page, search=q)


@router.get("/{company_id}", response_model=CompanyOut, responses=problem_responses(404))
async def get_company(company_id: uuid.UUID, resources: ResourcesDep) -> Any:
    # async: a cache hit never leaves the event loop (see cached_reads).
    key = cache_keys.company(resources.cache, company_id)
    return await read_model(
        resources,
        key,
        cache_keys.COMPANY_TTL,
        lambda session: service.get_company(session, company_id),
    )


@router.put("/{company_id}", response_model=CompanyOut, responses=problem_responses(400, 404))
def update_company(
    company_id: uuid.UUID, body: CompanyUpdate, session: SessionDep, cache: CacheDep
) -> CompanyOut:
    return service.update_company(session, cache, company_id, body)


@router.delete(
    "/{company_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
def delete_company(company_id: uuid.UUID, session: SessionDep, cache: CacheDep) -> Response:
    service.delete_company(session, cache, company_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
