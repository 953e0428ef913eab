"""`/api/v2` scores: compute and gate one, preview one, read an assessment's and a company's."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from orgair_domain import cache_keys
from orgair_domain.assessments import service as assessments
from orgair_domain.assessments.schemas import AssessmentOut, ScoringInputs
from orgair_domain.scores import service
from orgair_domain.scores.schemas import (
    AssessmentDetailOut,
    CompanyScoresOut,
    PreviewRequest,
    ScoreOut,
    ScoreRequest,
)
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep
from orgair_scoring_api.cached_reads import read_cached
from orgair_scoring_api.dependencies import CacheDep, SessionDep, SettingsDep

router = APIRouter(tags=["scores"])


@router.post(
    "/assessments/{assessment_id}/score",
    response_model=ScoreOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 422),
)
def score_assessment(
    assessment_id: uuid.UUID,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    identity: IdentityDep,
    body: ScoreRequest | None = None,
) -> ScoreOut:
    """Compute, store and gate the Org-AI-R of a submitted assessment."""
    return service.score_assessment(
        session, cache, settings, assessment_id,
        profile=body.profile if body else None, actor=identity.key_id,
    )  # fmt: skip


@router.get(
    "/assessments/{assessment_id}",
    response_model=AssessmentDetailOut,
    responses=problem_responses(404),
)
def get_assessment(assessment_id: uuid.UUID, session: SessionDep) -> AssessmentDetailOut:
    """The assessment with its dimension scores and every score's full breakdown."""
    return service.assessment_detail(session, assessment_id)


@router.patch(
    "/assessments/{assessment_id}/scoring-inputs",
    response_model=AssessmentOut,
    responses=problem_responses(404, 409),
)
def update_scoring_inputs(
    assessment_id: uuid.UUID, body: ScoringInputs, session: SessionDep, cache: CacheDep
) -> AssessmentOut:
    return assessments.update_scoring_inputs(session, cache, assessment_id, body)


@router.post("/scoring/preview", responses=problem_responses(422))
def preview(body: PreviewRequest, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """What-if: compute a score from given inputs and profile changes; nothing is stored."""
    return service.preview(session, settings, body)


@router.get(
    "/companies/{company_id}/scores",
    response_model=CompanyScoresOut,
    responses=problem_responses(404),
)
def company_scores(
    company_id: uuid.UUID, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Any:
    """The company's current approved score, its trend and every score computed for it."""
    return read_cached(
        cache,
        cache_keys.company_scores(cache, company_id),
        settings.CACHE_TTL_SCORES,
        lambda: service.company_scores(session, company_id),
    )
