"""What approving a score does: the score becomes current, its assessments move on.

Per the CS1 life cycle, the approved score's assessment moves submitted → approved and
the company's previously approved assessments move approved → superseded. The API
approves one score at a time (`approve`), a fund job a whole chunk at once
(`settle_approved_assessments` directly); the assessments change the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orgair_domain.assessments.models import Assessment
from orgair_domain.assessments.status import AssessmentStatus
from orgair_domain.scores.models import OrgAirScore
from orgair_domain.scores.review_gate import ReviewStatus


def approve(
    session: Session, score: OrgAirScore, status: ReviewStatus, now: datetime
) -> set[uuid.UUID]:
    """Make `score` the company's current score; returns the assessments whose status changed."""
    score.review_status = status.value
    score.approved_at = now
    return settle_approved_assessments(session, [(score.company_id, score.assessment_id)])


def settle_approved_assessments(
    session: Session, approved: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> set[uuid.UUID]:
    """The assessment side of approving scores, given (company, assessment) per approved
    score: each assessment submitted → approved, the company's other approved assessments
    → superseded. Four statements whatever the number of scores (a fund job approves a
    whole chunk at once); returns the assessments whose status changed."""
    if not approved:
        return set()
    companies = {company_id for company_id, _ in approved}
    if len(companies) != len(approved):
        raise ValueError("at most one approved score per company")
    assessment_ids = [assessment_id for _, assessment_id in approved]
    submitted = list(
        session.scalars(
            select(Assessment.id).where(
                Assessment.id.in_(assessment_ids),
                Assessment.status == AssessmentStatus.SUBMITTED.value,
            )
        )
    )
    superseded = list(
        session.scalars(
            select(Assessment.id).where(
                Assessment.company_id.in_(companies),
                Assessment.status == AssessmentStatus.APPROVED.value,
                Assessment.id.not_in(assessment_ids),
            )
        )
    )
    # ORM-enabled updates also refresh Assessment objects already in the session.
    for ids, new_status in (
        (submitted, AssessmentStatus.APPROVED),
        (superseded, AssessmentStatus.SUPERSEDED),
    ):
        if ids:
            session.execute(
                update(Assessment).where(Assessment.id.in_(ids)).values(status=new_status.value)
            )
    return {*submitted, *superseded}
