"""`/api/v2/reviews`: one queue of what the gates held back (scores and value-creation
plans, told apart by `kind`), and the decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from orgair_auth import Role
from orgair_domain.pagination import Page
from orgair_domain.reviews import service
from orgair_domain.reviews.schemas import DecisionRequest, ReviewItem, ReviewKind
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import CacheDep, PageDep, SessionDep

router = APIRouter(prefix="/reviews", tags=["reviews"])


@router.get("", response_model=Page[ReviewItem])
def list_reviews(
    session: SessionDep,
    page: PageDep,
    status: ReviewStatus = ReviewStatus.PENDING_REVIEW,
    kind: ReviewKind | None = None,
) -> Page[ReviewItem]:
    """Scores and plans by review status (default: the pending queue, oldest first);
    `kind` keeps one of the two."""
    return service.list_reviews(session, status, page, kind)


@router.post(
    "/{review_id}/decision",
    response_model=ReviewItem,
    dependencies=[Depends(require_role(Role.REVIEWER))],
    responses=problem_responses(404, 409),
)
def decide(
    review_id: uuid.UUID,
    body: DecisionRequest,
    session: SessionDep,
    cache: CacheDep,
    identity: IdentityDep,
) -> ReviewItem:
    """Approve or reject a pending score or plan (a comment is required to reject)."""
    return service.decide(
        session, cache, review_id, body, reviewer=identity.key_id, reviewer_role=identity.role.value
    )
