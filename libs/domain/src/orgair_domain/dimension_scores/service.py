"""Dimension scores (CS1): the seven scores of an assessment, and the default weights."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_domain import cache_keys
from orgair_domain.assessments.service import ensure_editable, require_assessment
from orgair_domain.dimension_scores import repository
from orgair_domain.dimension_scores.models import DimensionScore
from orgair_domain.dimension_scores.schemas import (
    DimensionScoreCreate,
    DimensionScoreOut,
    DimensionScoreUpdate,
    DimensionWeights,
)
from orgair_domain.errors import InvalidInput, NotFound
from orgair_scoring import profile_from_settings


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


def _out(rows: list[DimensionScore]) -> list[DimensionScoreOut]:
    return [DimensionScoreOut.model_validate(row) for row in rows]


def add_scores(
    session: Session,
    cache: Cache,
    settings: Settings,
    assessment_id: uuid.UUID,
    scores: list[DimensionScoreCreate],
) -> list[DimensionScoreOut]:
    assessment = require_assessment(session, assessment_id)
    ensure_editable(assessment)
    repeated = sorted(d.value for d, n in Counter(s.dimension for s in scores).items() if n > 1)
    if repeated:
        raise InvalidInput(
            f"dimension listed more than once in this request: {', '.join(repeated)}"
        )
    existing = {row.dimension for row in repository.list_for_assessment(session, assessment_id)}
    clash = sorted(s.dimension.value for s in scores if s.dimension.value in existing)
    if clash:
        raise InvalidInput(
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
        raise InvalidInput("a score for one of these dimensions was just added") from None
    cache.invalidate(cache_keys.assessment_scores(cache, assessment_id))
    return _out(rows)


def list_scores(session: Session, assessment_id: uuid.UUID) -> list[DimensionScoreOut]:
    require_assessment(session, assessment_id)
    return _out(repository.list_for_assessment(session, assessment_id))


def update_score(
    session: Session, cache: Cache, score_id: uuid.UUID, data: DimensionScoreUpdate
) -> DimensionScoreOut:
    row = repository.get(session, score_id)
    if row is None:
        raise NotFound("dimension score", score_id)
    ensure_editable(require_assessment(session, row.assessment_id))
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(row, field, value)
    session.commit()
    cache.invalidate(cache_keys.assessment_scores(cache, row.assessment_id))
    return _out([row])[0]
