"""Human review of scores the gate held back (DESIGN.md §5)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import utcnow
from orgair_observability import Conflict, NotFound
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.assessments.status import AssessmentStatus
from orgair_scoring_api.pagination import Page, PageParams
from orgair_scoring_api.reviews.models import ReviewDecision
from orgair_scoring_api.reviews.schemas import DecisionRequest
from orgair_scoring_api.scores.models import OrgAirScore
from orgair_scoring_api.scores.review_gate import ReviewStatus
from orgair_scoring_api.scores.schemas import ScoreOut
from orgair_scoring_api.scores.service import (
    approve,
    current_approved,
    invalidate_after_scoring,
    score_out,
    with_reviews,
)


def list_reviews(session: Session, status: ReviewStatus, page: PageParams) -> Page[ScoreOut]:
    query = select(OrgAirScore).where(OrgAirScore.review_status == status.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            # Oldest first: the queue is worked in the order scores arrived.
            query.order_by(OrgAirScore.created_at, OrgAirScore.id)
            .offset(page.offset)
            .limit(page.page_size)
        )
    )
    return Page[ScoreOut].build(with_reviews(session, rows), total, page)


def decide(
    session: Session,
    cache: Cache,
    score_id: uuid.UUID,
    request: DecisionRequest,
    *,
    reviewer: str,
    reviewer_role: str,
) -> ScoreOut:
    score = session.get(OrgAirScore, score_id)
    if score is None:
        raise NotFound("score", score_id)
    if score.review_status != ReviewStatus.PENDING_REVIEW:
        raise Conflict(
            f"score is {score.review_status}: only pending scores can be decided, once",
            review_status=score.review_status,
        )
    now = utcnow()
    changed: set[uuid.UUID] = set()
    if request.decision == "approve":
        current = current_approved(session, score.company_id)
        if current is not None and current.created_at > score.created_at:
            raise Conflict(
                "a newer score of this company was approved since this one was computed; "
                "rescore the assessment instead",
                current_score_id=str(current.id),
            )
        changed = approve(session, score, ReviewStatus.APPROVED, now)
    else:
        score.review_status = ReviewStatus.REJECTED.value
        assessment = session.get(Assessment, score.assessment_id)
        assert assessment is not None
        # Back to the analyst: submitted → in_progress is the CS1 way to revise.
        if assessment.status == AssessmentStatus.SUBMITTED:
            assessment.status = AssessmentStatus.IN_PROGRESS.value
            changed.add(assessment.id)
    review = ReviewDecision(
        score_id=score.id,
        decision=request.decision,
        comment=request.comment,
        reviewer=reviewer,
        reviewer_role=reviewer_role,
        decided_at=now,
    )
    session.add(review)
    session.commit()
    invalidate_after_scoring(cache, score.company_id, changed)
    return score_out(score, review)
