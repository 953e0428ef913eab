from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orgair_scoring_api.assessments.models import Assessment


def get(session: Session, assessment_id: uuid.UUID) -> Assessment | None:
    return session.get(Assessment, assessment_id)


def list_filtered(
    session: Session,
    *,
    company_id: uuid.UUID | None,
    status: str | None,
    assessment_type: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Assessment], int]:
    query = select(Assessment)
    if company_id is not None:
        query = query.where(Assessment.company_id == company_id)
    if status is not None:
        query = query.where(Assessment.status == status)
    if assessment_type is not None:
        query = query.where(Assessment.assessment_type == assessment_type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total
