from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from orgair_domain.assessments.models import Assessment


def get(session: Session, assessment_id: uuid.UUID) -> Assessment | None:
    return session.get(Assessment, assessment_id)


def filtered_query(
    *, company_id: uuid.UUID | None, status: str | None, assessment_type: str | None
) -> Select[tuple[Assessment]]:
    """Assessments matching every filter given, newest first."""
    query = select(Assessment)
    if company_id is not None:
        query = query.where(Assessment.company_id == company_id)
    if status is not None:
        query = query.where(Assessment.status == status)
    if assessment_type is not None:
        query = query.where(Assessment.assessment_type == assessment_type)
    return query.order_by(Assessment.created_at.desc(), Assessment.id.desc())
