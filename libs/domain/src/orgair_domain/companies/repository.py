from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from orgair_domain.companies.models import Company


def get_active(session: Session, company_id: uuid.UUID) -> Company | None:
    """The company unless it does not exist or was soft-deleted."""
    company = session.get(Company, company_id)
    return None if company is None or company.is_deleted else company


def active_query(
    industry_id: uuid.UUID | None, search: str | None = None
) -> Select[tuple[Company]]:
    """Companies not deleted (of one industry, and whose name or ticker contains `search`
    in any case, when given), newest first."""
    query = select(Company).where(Company.is_deleted.is_(False))
    if industry_id is not None:
        query = query.where(Company.industry_id == industry_id)
    if search:
        # autoescape: LIKE's own wildcards in the text match themselves.
        query = query.where(
            or_(
                Company.name.icontains(search, autoescape=True),
                Company.ticker.icontains(search, autoescape=True),
            )
        )
    return query.order_by(Company.created_at.desc(), Company.id)
