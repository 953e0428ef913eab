"""`/api/v2` value creation: improvement plans with their EBITDA projection, and the
EBITDA what-if (DESIGN.md §5 "Value creation")."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from orgair_domain.pagination import Page
from orgair_domain.value_creation import service
from orgair_domain.value_creation.schemas import (
    EbitdaPreviewRequest,
    EbitdaProjectionOut,
    PlanOut,
    PlanRequest,
)
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep
from orgair_scoring_api.dependencies import PageDep, SessionDep, SettingsDep

# Reads need a viewer and writes an analyst: the versioned routers' role floor.
router = APIRouter(tags=["value creation"])


@router.post(
    "/companies/{company_id}/value-creation-plans",
    response_model=PlanOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 422),
)
def create_plan(
    company_id: uuid.UUID,
    body: PlanRequest,
    session: SessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
) -> PlanOut:
    """Plan the least-cost way from the company's current approved score to
    `target_org_air`, with its EBITDA projection; held for review when the risk-adjusted
    projection is above HITL_EBITDA_PROJECTION_THRESHOLD."""
    return service.create_plan(session, settings, company_id, body, actor=identity.key_id)


@router.get(
    "/companies/{company_id}/value-creation-plans",
    response_model=Page[PlanOut],
    responses=problem_responses(404),
)
def company_plans(company_id: uuid.UUID, session: SessionDep, page: PageDep) -> Page[PlanOut]:
    """The company's plans, newest first."""
    return service.company_plans(session, company_id, page)


@router.get(
    "/value-creation-plans/{plan_id}", response_model=PlanOut, responses=problem_responses(404)
)
def get_plan(plan_id: uuid.UUID, session: SessionDep) -> PlanOut:
    return service.get_plan(session, plan_id)


@router.post(
    "/scoring/ebitda-preview", response_model=EbitdaProjectionOut, responses=problem_responses(422)
)
def ebitda_preview(
    body: EbitdaPreviewRequest, session: SessionDep, settings: SettingsDep
) -> EbitdaProjectionOut:
    """What-if: the EBITDA projection of given entry, target and H^R scores; nothing stored."""
    return service.ebitda_preview(session, settings, body)
