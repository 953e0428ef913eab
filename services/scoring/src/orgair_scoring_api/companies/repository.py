from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orgair_scoring_api.companies.models import Company


def get_active(session: Session, company_id: uuid.UUID) -> Company | None:
    """The company unless it does not exist or was soft-deleted."""
    company = session.get(Company, company_id)
    return None if company is None or company.is_deleted else company


def list_active(
    session: Session, *, industry_id: uuid.UUID | None, offset: int, limit: int
) -> tuple[list[Company], int]:
    query = select(Company).where(Company.is_deleted.is_(False))
    if industry_id is not None:
        query = query.where(Company.industry_id == industry_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Company.created_at.desc(), Company.id).offset(offset).limit(limit)
    )
    return list(rows), total
