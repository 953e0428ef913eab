"""Human review of scores the gate held back (DESIGN.md §5)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import utcnow
from orgair_domain.assessments.models import Assessment
from orgair_domain.assessments.status import AssessmentStatus
from orgair_domain.errors import Conflict, NotFound
from orgair_domain.pagination import Page, PageRequest, paginate
from orgair_domain.reviews.schemas import DecisionRequest
from orgair_domain.scores.approval import approve
from orgair_domain.scores.current import current_approved
from orgair_domain.scores.invalidation import invalidate_after_scoring
from orgair_domain.scores.models import OrgAirScore, ReviewDecision
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ScoreOut
from orgair_domain.scores.views import score_out, with_reviews


def list_reviews(session: Session, status: ReviewStatus, page: PageRequest) -> Page[ScoreOut]:
    query = (
        select(OrgAirScore)
        .where(OrgAirScore.review_status == status.value)
        # Oldest first: the queue is worked in the order scores arrived.
        .order_by(OrgAirScore.created_at, OrgAirScore.id)
    )
    return paginate(session, query, page).map(lambda rows: with_reviews(session, rows))


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


def pending_count(session: Session) -> int:
    """Scores waiting for a reviewer's decision."""
    return (
        session.scalar(
            select(func.count()).where(
                OrgAirScore.review_status == ReviewStatus.PENDING_REVIEW.value
            )
        )
        or 0
    )
