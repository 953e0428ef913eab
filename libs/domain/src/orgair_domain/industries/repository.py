from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.industries.models import Industry


def get(session: Session, industry_id: uuid.UUID) -> Industry | None:
    return session.get(Industry, industry_id)


def list_all(session: Session) -> list[Industry]:
    return list(session.scalars(select(Industry).order_by(Industry.name)))


def exists(session: Session, industry_id: uuid.UUID) -> bool:
    return session.scalar(select(Industry.id).where(Industry.id == industry_id)) is not None
