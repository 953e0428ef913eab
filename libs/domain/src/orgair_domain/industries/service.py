"""Industries (CS1): the sector reference table, read-only over the API."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from orgair_domain.errors import NotFound
from orgair_domain.industries import repository
from orgair_domain.industries.schemas import IndustryOut


def get_industry(session: Session, industry_id: uuid.UUID) -> IndustryOut:
    industry = repository.get(session, industry_id)
    if industry is None:
        raise NotFound("industry", industry_id)
    return IndustryOut.model_validate(industry)


def list_industries(session: Session) -> list[IndustryOut]:
    return [IndustryOut.model_validate(row) for row in repository.list_all(session)]
