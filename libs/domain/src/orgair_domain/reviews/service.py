"""Human review of what the gates held back (DESIGN.md §5): one queue of two kinds.

A review is a held score (`kind` "score": the Org-AI-R review gate) or a held
value-creation plan (`kind` "value_creation_plan": its risk-adjusted EBITDA projection
is above `HITL_EBITDA_PROJECTION_THRESHOLD`). Both are listed oldest first and decided
by the same rules: a reviewer, who/when/why recorded, final, a comment to reject.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import utcnow
from orgair_domain.assessments.models import Assessment
from orgair_domain.assessments.status import AssessmentStatus
from orgair_domain.errors import Conflict, NotFound
from orgair_domain.pagination import Page, PageRequest, paginate
from orgair_domain.reviews.schemas import DecisionRequest, ReviewItem, ReviewKind
from orgair_domain.scores.approval import approve
from orgair_domain.scores.current import current_approved
from orgair_domain.scores.invalidation import invalidate_after_scoring
from orgair_domain.scores.models import OrgAirScore, ReviewDecision
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ScoreOut
from orgair_domain.scores.views import score_out, with_reviews
from orgair_domain.value_creation import service as value_creation
from orgair_domain.value_creation.models import ValueCreationPlan


def list_reviews(
    session: Session, status: ReviewStatus, page: PageRequest, kind: ReviewKind | None = None
) -> Page[ReviewItem]:
    """Reviews by status, of one kind or both; oldest first, the order they arrived in."""
    queues: list[Select[Any]] = []
    if kind in (None, "score"):
        queues.append(
            select(OrgAirScore.id.label("id"), OrgAirScore.created_at.label("created_at")).where(
                OrgAirScore.review_status == status.value
            )
        )
    if kind in (None, "value_creation_plan"):
        queues.append(
            select(
                ValueCreationPlan.id.label("id"), ValueCreationPlan.created_at.label("created_at")
            ).where(ValueCreationPlan.review_status == status.value)
        )
    queue = (union_all(*queues) if len(queues) > 1 else queues[0]).subquery()
    query: Select[tuple[uuid.UUID]] = select(queue.c.id).order_by(queue.c.created_at, queue.c.id)
    return paginate(session, query, page).map(lambda ids: _items(session, ids))


def _items(session: Session, ids: list[uuid.UUID]) -> list[ReviewItem]:
    scores = session.scalars(select(OrgAirScore).where(OrgAirScore.id.in_(ids))).all()
    plans = session.scalars(select(ValueCreationPlan).where(ValueCreationPlan.id.in_(ids))).all()
    by_id: dict[uuid.UUID, ReviewItem] = {
        item.id: item for item in with_reviews(session, list(scores))
    }
    by_id.update((item.id, item) for item in value_creation.plans_out(session, list(plans)))
    return [by_id[review_id] for review_id in ids]


def decide(
    session: Session,
    cache: Cache,
    review_id: uuid.UUID,
    request: DecisionRequest,
    *,
    reviewer: str,
    reviewer_role: str,
) -> ReviewItem:
    """Decide the held score or plan `review_id`."""
    score = session.get(OrgAirScore, review_id)
    if score is not None:
        return _decide_score(
            session, cache, score, request, reviewer=reviewer, reviewer_role=reviewer_role
        )
    plan = session.get(ValueCreationPlan, review_id)
    if plan is not None:
        return value_creation.decide_plan(
            session, plan, request.decision, request.comment,
            reviewer=reviewer, reviewer_role=reviewer_role,
        )  # fmt: skip
    raise NotFound("review", review_id)


def _decide_score(
    session: Session,
    cache: Cache,
    score: OrgAirScore,
    request: DecisionRequest,
    *,
    reviewer: str,
    reviewer_role: str,
) -> ScoreOut:
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
    """Scores and plans waiting for a reviewer's decision."""
    pending = ReviewStatus.PENDING_REVIEW.value
    return sum(
        session.scalar(select(func.count()).where(table.review_status == pending)) or 0
        for table in (OrgAirScore, ValueCreationPlan)
    )
