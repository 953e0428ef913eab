from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_observability import BadRequest, NotFound
from orgair_scoring import profile_from_settings
from orgair_scoring_api import cache_keys
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.assessments.service import ensure_editable, require_assessment
from orgair_scoring_api.dimension_scores import repository
from orgair_scoring_api.dimension_scores.models import DimensionScore
from orgair_scoring_api.dimension_scores.schemas import (
    DimensionScoreCreate,
    DimensionScoreOut,
    DimensionScoreUpdate,
    DimensionWeights,
)


def active_weights(settings: Settings) -> DimensionWeights:
    """The weights of the profile named by PARAM_VERSION (v1.0: CS1 table; v2.0: W_* settings)."""
    weights = dict(profile_from_settings(settings.PARAM_VERSION, settings).weights)
    return DimensionWeights.model_validate(
        {
            "param_version": settings.PARAM_VERSION,
            "weights": weights,
            "total": round(sum(weights.values()), 6),
        }
    )


def get_weights(cache: Cache, settings: Settings) -> dict[str, Any]:
    weights = active_weights(settings)
    key = cache_keys.weights(
        cache, weights.param_version, {str(k): v for k, v in weights.weights.items()}
    )
    fresh = weights.model_dump(mode="json")
    return cache.get_or_load(key, cache_keys.WEIGHTS_TTL, lambda: fresh) or fresh


def _out(rows: list[DimensionScore]) -> list[dict[str, Any]]:
    return [DimensionScoreOut.model_validate(row).model_dump(mode="json") for row in rows]


def add_scores(
    session: Session,
    cache: Cache,
    settings: Settings,
    assessment_id: uuid.UUID,
    scores: list[DimensionScoreCreate],
) -> list[dict[str, Any]]:
    assessment = require_assessment(session, assessment_id)
    ensure_editable(assessment)
    repeated = sorted(d.value for d, n in Counter(s.dimension for s in scores).items() if n > 1)
    if repeated:
        raise BadRequest(f"dimension listed more than once in this request: {', '.join(repeated)}")
    existing = {row.dimension for row in repository.list_for_assessment(session, assessment_id)}
    clash = sorted(s.dimension.value for s in scores if s.dimension.value in existing)
    if clash:
        raise BadRequest(
            f"assessment already has a score for: {', '.join(clash)} (use PUT /scores/{{id}})",
            duplicate_dimensions=clash,
        )
    default_weights = active_weights(settings).weights
    rows = [
        DimensionScore(
            assessment_id=assessment_id,
            dimension=item.dimension.value,
            score=item.score,
            weight=item.weight if item.weight is not None else default_weights[item.dimension],
            confidence=item.confidence,
            evidence_count=item.evidence_count,
        )
        for item in scores
    ]
    session.add_all(rows)
    try:
        session.commit()
    except IntegrityError:
        # Another request added the same dimension between our check and our insert.
        session.rollback()
        raise BadRequest("a score for one of these dimensions was just added") from None
    cache.invalidate(cache_keys.assessment_scores(cache, assessment_id))
    return _out(rows)


def list_scores(
    session: Session, cache: Cache, settings: Settings, assessment_id: uuid.UUID
) -> list[dict[str, Any]]:
    def load() -> list[dict[str, Any]] | None:
        if session.get(Assessment, assessment_id) is None:
            return None
        return _out(repository.list_for_assessment(session, assessment_id))

    found = cache.get_or_load(
        cache_keys.assessment_scores(cache, assessment_id), settings.CACHE_TTL_SCORES, load
    )
    if found is None:
        raise NotFound("assessment", assessment_id)
    return found


def update_score(
    session: Session, cache: Cache, score_id: uuid.UUID, data: DimensionScoreUpdate
) -> dict[str, Any]:
    row = repository.get(session, score_id)
    if row is None:
        raise NotFound("dimension score", score_id)
    ensure_editable(require_assessment(session, row.assessment_id))
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(row, field, value)
    session.commit()
    cache.invalidate(cache_keys.assessment_scores(cache, row.assessment_id))
    return _out([row])[0]
