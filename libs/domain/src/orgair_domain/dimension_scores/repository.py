from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.dimension_scores.models import DimensionScore


def list_for_assessment(session: Session, assessment_id: uuid.UUID) -> list[DimensionScore]:
    return list(
        session.scalars(
            select(DimensionScore)
            .where(DimensionScore.assessment_id == assessment_id)
            .order_by(DimensionScore.dimension)
        )
    )


def get(session: Session, score_id: uuid.UUID) -> DimensionScore | None:
    return session.get(DimensionScore, score_id)
