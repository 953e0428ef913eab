from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.parameters.models import ParameterProfile


def find(
    session: Session, version: str, parameters_hash: str, value_creation_hash: str
) -> ParameterProfile | None:
    return session.scalar(
        select(ParameterProfile).where(
            ParameterProfile.version == version,
            ParameterProfile.parameters_hash == parameters_hash,
            ParameterProfile.value_creation_hash == value_creation_hash,
        )
    )


def latest_custom(session: Session, version: str) -> ParameterProfile | None:
    return session.scalar(
        select(ParameterProfile)
        .where(ParameterProfile.version == version, ParameterProfile.source == "custom")
        .order_by(ParameterProfile.created_at.desc())
        .limit(1)
    )


def list_custom(session: Session) -> list[ParameterProfile]:
    return list(
        session.scalars(
            select(ParameterProfile)
            .where(ParameterProfile.source == "custom")
            .order_by(ParameterProfile.version)
        )
    )
