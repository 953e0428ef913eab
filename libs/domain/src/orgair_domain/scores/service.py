"""Org-AI-R scores: compute, store and gate one; preview one; read a company's and an
assessment's scores.

A score is computed from a submitted (or approved) assessment: its seven dimension
scores, its scoring inputs and its company's industry. The stored row keeps the inputs
snapshot and the exact parameter profile, so any past score can be recomputed.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_domain.assessments.schemas import AssessmentOut
from orgair_domain.assessments.service import require_assessment
from orgair_domain.companies.models import Company
from orgair_domain.dimension_scores import repository as dimension_scores
from orgair_domain.dimension_scores.schemas import DimensionScoreOut
from orgair_domain.errors import Conflict, NotFound, Unprocessable
from orgair_domain.industries.models import Industry
from orgair_domain.parameters import service as parameters
from orgair_domain.scores.approval import approve
from orgair_domain.scores.current import current_approved
from orgair_domain.scores.inputs import SCORABLE_STATUSES, IncompleteAssessment, build_inputs
from orgair_domain.scores.invalidation import invalidate_after_scoring
from orgair_domain.scores.models import OrgAirScore
from orgair_domain.scores.review_gate import APPROVED_STATUSES, ReviewStatus
from orgair_domain.scores.rows import new_score_row
from orgair_domain.scores.schemas import (
    AssessmentDetailOut,
    CompanyScoresOut,
    PreviewRequest,
    ScoreOut,
)
from orgair_domain.scores.views import score_out, trend_of, with_reviews
from orgair_observability.metrics import SCORES_COMPUTED
from orgair_scoring import CompanyInputs, derive_profile, score_company


def score_assessment(
    session: Session,
    cache: Cache,
    settings: Settings,
    assessment_id: uuid.UUID,
    *,
    profile: str | None,
    actor: str | None,
) -> ScoreOut:
    assessment = require_assessment(session, assessment_id)
    if assessment.status not in SCORABLE_STATUSES:
        raise Conflict(
            f"assessment is {assessment.status}: submit it before scoring",
            current_status=assessment.status,
            scorable_statuses=sorted(SCORABLE_STATUSES),
        )
    company = session.get(Company, assessment.company_id)
    if company is None or company.is_deleted:
        raise Conflict("the assessment's company was deleted")
    industry = session.get(Industry, company.industry_id)
    assert industry is not None  # enforced by the foreign key
    try:
        inputs = build_inputs(
            assessment, industry, dimension_scores.list_for_assessment(session, assessment_id)
        )
    except IncompleteAssessment as exc:
        raise Unprocessable(
            "Assessment incomplete",
            f"cannot score: {exc}",
            errors=[{"pointer": pointer, "detail": detail} for pointer, detail in exc.problems],
        ) from None
    params, profile_row = parameters.resolve_for_scoring(session, settings, profile, actor=actor)
    result = score_company(inputs, params)
    previous = current_approved(session, assessment.company_id)
    row, status = new_score_row(
        assessment=assessment,
        inputs=inputs,
        result=result,
        profile_id=profile_row.id,
        previous=previous,
        change_threshold=settings.HITL_SCORE_CHANGE_THRESHOLD,
        actor=actor,
    )
    session.add(row)
    changed: set[uuid.UUID] = set()
    if status == ReviewStatus.AUTO_APPROVED:
        changed = approve(session, row, status, row.created_at)
    session.commit()
    SCORES_COMPUTED.labels("api", status.value).inc()
    invalidate_after_scoring(cache, assessment.company_id, changed)
    return score_out(row, None)


def preview(session: Session, settings: Settings, request: PreviewRequest) -> dict[str, Any]:
    """What-if: the score of the given inputs under a profile with changes; nothing stored."""
    try:
        base = parameters.lookup(session, settings, request.profile or settings.PARAM_VERSION)
    except LookupError as exc:
        raise Unprocessable(
            "Unknown parameter profile",
            str(exc),
            errors=[{"pointer": "/body/profile", "detail": str(exc)}],
        ) from None
    params = base
    if request.overrides:
        try:
            params = derive_profile(base, request.overrides)
        except ValidationError as exc:
            raise Unprocessable(
                "Invalid parameter overrides",
                "the overrides do not form a valid profile",
                errors=[
                    {"pointer": "/body/overrides/" + "/".join(str(p) for p in error["loc"]),
                     "detail": error["msg"]}
                    for error in exc.errors(include_input=False, include_url=False)
                ],
            ) from None  # fmt: skip
    inputs = CompanyInputs.model_validate(request.inputs.model_dump())
    return score_company(inputs, params).to_json_dict()


def company_scores(session: Session, company_id: uuid.UUID) -> CompanyScoresOut:
    """The company's current approved score, its trend and every score computed for it."""
    company = session.get(Company, company_id)
    if company is None or company.is_deleted:
        raise NotFound("company", company_id)
    rows = list(
        session.scalars(
            select(OrgAirScore)
            .where(OrgAirScore.company_id == company_id)
            .order_by(OrgAirScore.created_at.desc(), OrgAirScore.id)
        )
    )
    history = with_reviews(session, rows)
    approved = sorted(
        (row for row in rows if row.approved_at is not None),
        key=lambda r: r.approved_at,  # type: ignore[arg-type,return-value]
    )
    current = max(
        (item for item in history if item.review_status in APPROVED_STATUSES),
        key=lambda item: item.approved_at,  # type: ignore[arg-type,return-value]
        default=None,
    )
    return CompanyScoresOut(
        company_id=company_id, current=current, trend=trend_of(approved), history=history
    )


def assessment_detail(session: Session, assessment_id: uuid.UUID) -> AssessmentDetailOut:
    """The assessment with its dimension scores and every score's full breakdown."""
    assessment = require_assessment(session, assessment_id)
    rows = list(
        session.scalars(
            select(OrgAirScore)
            .where(OrgAirScore.assessment_id == assessment_id)
            .order_by(OrgAirScore.created_at.desc(), OrgAirScore.id)
        )
    )
    return AssessmentDetailOut(
        **AssessmentOut.model_validate(assessment).model_dump(),
        dimension_scores=[
            DimensionScoreOut.model_validate(row)
            for row in dimension_scores.list_for_assessment(session, assessment_id)
        ],
        scores=with_reviews(session, rows),
    )
