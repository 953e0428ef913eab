"""Stored scores as the API shows them: every number, the inputs snapshot, the review.

A score row keeps its breakdown and inputs as JSON text; a view parses them back and
attaches the reviewer's decision, read for a whole list of scores in one query.
"""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.scores.models import OrgAirScore, ReviewDecision
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ReviewDecisionOut, ScoreOut

# Latest approved vs first approved Org-AI-R: a move beyond this many points is a trend.
TREND_BAND = 5.0


def score_out(row: OrgAirScore, review: ReviewDecision | None) -> ScoreOut:
    return ScoreOut(
        id=row.id,
        assessment_id=row.assessment_id,
        company_id=row.company_id,
        parameters_version=row.parameters_version,
        parameters_hash=row.parameters_hash,
        org_air=row.org_air,
        vr=row.vr,
        hr=row.hr,
        synergy=row.synergy,
        org_air_ci=(row.org_air_ci_lower, row.org_air_ci_upper),
        review_status=ReviewStatus(row.review_status),
        review_reasons=orjson.loads(row.review_reasons),
        compared_with_score_id=row.compared_with_score_id,
        approved_at=row.approved_at,
        created_by=row.created_by,
        created_at=row.created_at,
        breakdown=orjson.loads(row.result),
        inputs=orjson.loads(row.inputs),
        review=ReviewDecisionOut.model_validate(review) if review else None,
    )


def with_reviews(session: Session, rows: list[OrgAirScore]) -> list[ScoreOut]:
    ids = [row.id for row in rows]
    reviews: dict[uuid.UUID, ReviewDecision] = {}
    if ids:
        query = select(ReviewDecision).where(ReviewDecision.score_id.in_(ids))
        reviews = {review.score_id: review for review in session.scalars(query)}
    return [score_out(row, reviews.get(row.id)) for row in rows]


def trend_of(approved_oldest_first: list[OrgAirScore]) -> str | None:
    if not approved_oldest_first:
        return None
    change = approved_oldest_first[-1].org_air - approved_oldest_first[0].org_air
    if change > TREND_BAND:
        return "improving"
    if change < -TREND_BAND:
        return "declining"
    return "stable"
