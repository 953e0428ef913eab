"""`/api/v1` dimension scores (CS1): an assessment's seven scores and the default weights."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from orgair_domain import cache_keys
from orgair_domain.dimension_scores import service
from orgair_domain.dimension_scores.schemas import (
    DimensionScoreBulkCreate,
    DimensionScoreOut,
    DimensionScoreUpdate,
    DimensionWeights,
)
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.cached_reads import read_cached
from orgair_scoring_api.dependencies import CacheDep, SessionDep, SettingsDep

router = APIRouter(tags=["dimension scores"])


@router.post(
    "/assessments/{assessment_id}/scores",
    response_model=list[DimensionScoreOut],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 404, 409),
)
def add_scores(
    assessment_id: uuid.UUID,
    body: DimensionScoreBulkCreate,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> list[DimensionScoreOut]:
    return service.add_scores(session, cache, settings, assessment_id, body.scores)


@router.get(
    "/assessments/{assessment_id}/scores",
    response_model=list[DimensionScoreOut],
    responses=problem_responses(404),
)
def list_scores(
    assessment_id: uuid.UUID, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Any:
    return read_cached(
        cache,
        cache_keys.assessment_scores(cache, assessment_id),
        settings.CACHE_TTL_SCORES,
        lambda: service.list_scores(session, assessment_id),
    )


@router.put(
    "/scores/{score_id}", response_model=DimensionScoreOut, responses=problem_responses(404, 409)
)
def update_score(
    score_id: uuid.UUID, body: DimensionScoreUpdate, session: SessionDep, cache: CacheDep
) -> DimensionScoreOut:
    return service.update_score(session, cache, score_id, body)


@router.get("/dimensions/weights", response_model=DimensionWeights)
def get_weights(cache: CacheDep, settings: SettingsDep) -> Any:
    weights = service.active_weights(settings)
    key = cache_keys.weights(
        cache, weights.param_version, {str(k): v for k, v in weights.weights.items()}
    )
    return read_cached(cache, key, cache_keys.WEIGHTS_TTL, lambda: weights)
