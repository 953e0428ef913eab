from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orgair_scoring_api.jobs.models import ScoringJob, ScoringJobFailure
from orgair_scoring_api.jobs.states import ACTIVE_STATES


def get(session: Session, job_id: uuid.UUID) -> ScoringJob | None:
    return session.get(ScoringJob, job_id)


def by_idempotency_key(session: Session, created_by: str, key: str) -> ScoringJob | None:
    return session.scalar(
        select(ScoringJob).where(
            ScoringJob.created_by == created_by, ScoringJob.idempotency_key == key
        )
    )


def active_for_fund(session: Session, fund_id: uuid.UUID) -> ScoringJob | None:
    return session.scalar(
        select(ScoringJob)
        .where(ScoringJob.fund_id == fund_id, ScoringJob.state.in_(ACTIVE_STATES))
        .order_by(ScoringJob.created_at.desc())
        .limit(1)
    )


def list_for_fund(
    session: Session, fund_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[ScoringJob], int]:
    query = select(ScoringJob).where(ScoringJob.fund_id == fund_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ScoringJob.created_at.desc(), ScoringJob.id).offset(offset).limit(limit)
    )
    return list(rows), total


def failures(session: Session, job_id: uuid.UUID) -> list[ScoringJobFailure]:
    return list(
        session.scalars(
            select(ScoringJobFailure)
            .where(ScoringJobFailure.job_id == job_id)
            .order_by(ScoringJobFailure.created_at, ScoringJobFailure.company_id)
        )
    )
