"""`/api/v2/funds`: funds, their membership over time, and the Fund-AI-R summary."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from orgair_domain import cache_keys
from orgair_domain.funds import service
from orgair_domain.funds.schemas import (
    FundCreate,
    FundOut,
    FundSummaryOut,
    FundUpdate,
    MemberOut,
    MembersAdd,
    MemberUpdate,
)
from orgair_domain.pagination import Page
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep
from orgair_scoring_api.cached_reads import read_model
from orgair_scoring_api.dependencies import PageDep, ResourcesDep, SessionDep

# Reads need a viewer and writes an analyst: the versioned routers' role floor.
router = APIRouter(prefix="/funds", tags=["funds"])


@router.post(
    "",
    response_model=FundOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 409),
)
def create_fund(body: FundCreate, session: SessionDep, identity: IdentityDep) -> FundOut:
    return service.create_fund(session, body, actor=identity.key_id)


@router.get("", response_model=Page[FundOut])
def list_funds(session: SessionDep, page: PageDep) -> Page[FundOut]:
    return service.list_funds(session, page)


@router.get("/{fund_id}", response_model=FundOut, responses=problem_responses(404))
def get_fund(fund_id: uuid.UUID, session: SessionDep) -> FundOut:
    return service.get_fund(session, fund_id)


@router.patch("/{fund_id}", response_model=FundOut, responses=problem_responses(404))
def update_fund(fund_id: uuid.UUID, body: FundUpdate, session: SessionDep) -> FundOut:
    return service.update_fund(session, fund_id, body)


@router.delete(
    "/{fund_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 409)
)
def delete_fund(fund_id: uuid.UUID, session: SessionDep) -> Response:
    service.delete_fund(session, fund_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{fund_id}/summary", response_model=FundSummaryOut, responses=problem_responses(404))
async def fund_summary(fund_id: uuid.UUID, resources: ResourcesDep) -> Any:
    """Fund-AI-R over the current approved Org-AI-R of the members, and its breakdown."""

    # Cached under a fingerprint of its inputs, read first (one aggregate query): a
    # write that changes the summary changes the key, so a cached one is never stale.
    def fingerprint() -> str:
        with resources.database.sessions() as session:
            return service.fund_summary_fingerprint(session, fund_id)

    key = cache_keys.fund_summary(resources.cache, fund_id, await run_in_threadpool(fingerprint))
    return await read_model(
        resources,
        key,
        cache_keys.FUND_SUMMARY_TTL,
        lambda session: service.fund_summary(session, fund_id),
    )


@router.get("/{fund_id}/members", response_model=Page[MemberOut], responses=problem_responses(404))
def list_members(
    fund_id: uuid.UUID, session: SessionDep, page: PageDep, include_removed: bool = False
) -> Page[MemberOut]:
    """Current members; with `include_removed`, every membership interval ever."""
    return service.list_members(session, fund_id, include_removed=include_removed, page=page)


@router.post(
    "/{fund_id}/members",
    response_model=list[MemberOut],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 404, 409),
)
def add_members(
    fund_id: uuid.UUID, body: MembersAdd, session: SessionDep, identity: IdentityDep
) -> list[MemberOut]:
    return service.add_members(session, fund_id, body.members, actor=identity.key_id)


@router.put(
    "/{fund_id}/members/{company_id}", response_model=MemberOut, responses=problem_responses(404)
)
def update_member(
    fund_id: uuid.UUID,
    company_id: uuid.UUID,
    body: MemberUpdate,
    session: SessionDep,
    identity: IdentityDep,
) -> MemberOut:
    """Change a member's EV (the membership history keeps the previous value)."""
    return service.update_member(session, fund_id, company_id, body, actor=identity.key_id)


@router.delete(
    "/{fund_id}/members/{company_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def remove_member(
    fund_id: uuid.UUID, company_id: uuid.UUID, session: SessionDep, identity: IdentityDep
) -> Response:
    service.remove_member(session, fund_id, company_id, actor=identity.key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
