"""Justification rows: writing a drafted one with its citations, reading them back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from orgair_domain.justifications.drafting import Draft
from orgair_domain.justifications.models import Justification, JustificationCitation


def exists_for(session: Session, job_id: uuid.UUID, dimension: str) -> bool:
    found = session.scalar(
        select(Justification.id).where(
            Justification.job_id == job_id, Justification.dimension == dimension
        )
    )
    return found is not None


def add(
    session: Session,
    draft: Draft,
    *,
    job_id: uuid.UUID,
    assessment_id: uuid.UUID,
    company_id: uuid.UUID,
    actor: str,
    now: datetime,
) -> uuid.UUID:
    """Stage the justification and copies of its cited excerpts (the caller commits)."""
    justification_id = uuid.uuid4()
    session.execute(
        insert(Justification).values(
            id=justification_id,
            job_id=job_id,
            assessment_id=assessment_id,
            company_id=company_id,
            dimension=draft.dimension,
            score=draft.score,
            status=draft.status.value,
            failure_code=draft.failure_code,
            reason=draft.reason,
            text=draft.text,
            evidence_considered=draft.evidence_considered,
            provider=draft.provider,
            model=draft.model,
            llm_call_id=draft.llm_call_id,
            cost_micros=draft.cost_micros,
            created_by=actor,
            created_at=now,
        )
    )
    if draft.citations:
        session.execute(
            insert(JustificationCitation),
            [
                {
                    "id": uuid.uuid4(),
                    "justification_id": justification_id,
                    "label": cited.label,
                    "evidence_id": cited.excerpt.evidence_id,
                    "chunk": cited.excerpt.chunk,
                    "title": cited.excerpt.title,
                    "source": cited.excerpt.source,
                    "url": cited.excerpt.url,
                    "evidence_date": cited.excerpt.evidence_date,
                    "excerpt": cited.excerpt.text,
                }
                for cited in draft.citations
            ],
        )
    return justification_id


def of_job(session: Session, job_id: uuid.UUID) -> list[Justification]:
    return list(
        session.scalars(
            select(Justification)
            .where(Justification.job_id == job_id)
            .order_by(Justification.created_at, Justification.dimension)
        )
    )


def latest_per_dimension(session: Session, assessment_id: uuid.UUID) -> list[Justification]:
    """Each dimension's newest justification of the assessment (any status)."""
    newest = (
        select(
            Justification.id,
            func.row_number()
            .over(
                partition_by=Justification.dimension,
                order_by=(Justification.created_at.desc(), Justification.id),
            )
            .label("place"),
        )
        .where(Justification.assessment_id == assessment_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(Justification)
            .join(newest, newest.c.id == Justification.id)
            .where(newest.c.place == 1)
        )
    )


def citations_of(
    session: Session, justification_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[JustificationCitation]]:
    found: dict[uuid.UUID, list[JustificationCitation]] = {i: [] for i in justification_ids}
    if justification_ids:
        rows = session.scalars(
            select(JustificationCitation)
            .where(JustificationCitation.justification_id.in_(justification_ids))
            .order_by(JustificationCitation.label)
        )
        for row in rows:
            found[row.justification_id].append(row)
    return found
