"""`/api/v1/assessments` (CS1): create, list, read, and the status life cycle."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from orgair_domain import cache_keys
from orgair_domain.assessments import service
from orgair_domain.assessments.schemas import AssessmentCreate, AssessmentOut, StatusChange
from orgair_domain.assessments.status import AssessmentStatus, AssessmentType
from orgair_domain.pagination import Page
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.cached_reads import read_model
from orgair_scoring_api.dependencies import CacheDep, PageDep, ResourcesDep, SessionDep

router = APIRouter(prefix="/assessments", tags=["assessments"])


@router.post(
    "",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400),
)
def create_assessment(body: AssessmentCreate, session: SessionDep) -> AssessmentOut:
    return service.create_assessment(session, body)


@router.get("", response_model=Page[AssessmentOut])
def list_assessments(
    session: SessionDep,
    page: PageDep,
    company_id: uuid.UUID | None = None,
    status: AssessmentStatus | None = None,
    assessment_type: AssessmentType | None = None,
) -> Page[AssessmentOut]:
    return service.list_assessments(
        session, company_id=company_id, status=status, assessment_type=assessment_type, page=page
    )


@router.get("/{assessment_id}", response_model=AssessmentOut, responses=problem_responses(404))
async def get_assessment(
    assessment_id: uuid.UUID, resources: ResourcesDep, response: Response
) -> Any:
    # /api/v2 serves this read with the scores and their breakdown: point CS1 clients there.
    successor = {
        "Deprecation": "true",
        "Link": f"<{resources.settings.API_V2_PREFIX}/assessments/{assessment_id}>; "
        'rel="successor-version"',
    }
    response.headers.update(successor)  # on a loaded answer; a cached one carries its own
    # async: a cache hit never leaves the event loop (see cached_reads).
    return await read_model(
        resources,
        cache_keys.assessment(resources.cache, assessment_id),
        cache_keys.ASSESSMENT_TTL,
        lambda session: service.get_assessment(session, assessment_id),
        headers=successor,
    )


@router.patch(
    "/{assessment_id}/status", response_model=AssessmentOut, responses=problem_responses(400, 404)
)
def change_status(
    assessment_id: uuid.UUID, body: StatusChange, session: SessionDep, cache: CacheDep
) -> AssessmentOut:
    return service.change_status(session, cache, assessment_id, body.status)
