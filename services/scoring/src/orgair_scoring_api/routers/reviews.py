"""`/api/v2/reviews`: the queue of scores held for review, and the decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from orgair_auth import Role
from orgair_domain.pagination import Page
from orgair_domain.reviews import service
from orgair_domain.reviews.schemas import DecisionRequest
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ScoreOut
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import CacheDep, PageDep, SessionDep

router = APIRouter(prefix="/reviews", tags=["reviews"])


@router.get("", response_model=Page[ScoreOut])
def list_reviews(
    session: SessionDep, page: PageDep, status: ReviewStatus = ReviewStatus.PENDING_REVIEW
) -> Page[ScoreOut]:
    """Scores by review status (default: the pending queue, oldest first)."""
    return service.list_reviews(session, status, page)


@router.post(
    "/{score_id}/decision",
    response_model=ScoreOut,
    dependencies=[Depends(require_role(Role.REVIEWER))],
    responses=problem_responses(404, 409),
)
def decide(
    score_id: uuid.UUID,
    body: DecisionRequest,
    session: SessionDep,
    cache: CacheDep,
    identity: IdentityDep,
) -> ScoreOut:
    return service.decide(
        session, cache, score_id, body, reviewer=identity.key_id, reviewer_role=identity.role.value
    )
