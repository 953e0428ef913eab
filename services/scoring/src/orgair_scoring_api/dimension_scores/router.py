from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from orgair_scoring_api.dependencies import CacheDep, SessionDep, SettingsDep
from orgair_scoring_api.dimension_scores import service
from orgair_scoring_api.dimension_scores.schemas import (
    DimensionScoreBulkCreate,
    DimensionScoreOut,
    DimensionScoreUpdate,
    DimensionWeights,
)

router = APIRouter(tags=["dimension scores"])


@router.post(
    "/assessments/{assessment_id}/scores",
    response_model=list[DimensionScoreOut],
    status_code=status.HTTP_201_CREATED,
)
def add_scores(
    assessment_id: uuid.UUID,
    body: DimensionScoreBulkCreate,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Any:
    return service.add_scores(session, cache, settings, assessment_id, body.scores)


@router.get("/assessments/{assessment_id}/scores", response_model=list[DimensionScoreOut])
def list_scores(
    assessment_id: uuid.UUID, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Any:
    return service.list_scores(session, cache, settings, assessment_id)


@router.put("/scores/{score_id}", response_model=DimensionScoreOut)
def update_score(
    score_id: uuid.UUID, body: DimensionScoreUpdate, session: SessionDep, cache: CacheDep
) -> Any:
    return service.update_score(session, cache, score_id, body)


@router.get("/dimensions/weights", response_model=DimensionWeights)
def get_weights(cache: CacheDep, settings: SettingsDep) -> Any:
    return service.get_weights(cache, settings)
