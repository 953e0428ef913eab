"""Value-creation plans: build one from a company's current approved score, review it,
read them; and the EBITDA what-if that stores nothing (DESIGN.md §5).

A plan starts from the company's current approved score: its inputs snapshot is what
the engine plans from, its Org-AI-R is the EBITDA entry score and its H^R the projection's
H^R. The plan is stored with that snapshot, the profile row and both fingerprints, so it
recomputes exactly. Its risk-adjusted EBITDA projection above
`HITL_EBITDA_PROJECTION_THRESHOLD` holds it for a reviewer in the same queue as scores
(`orgair_domain.reviews`); otherwise it is approved automatically.
"""

from __future__ import annotations

import uuid
from typing import Literal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.companies.models import Company
from orgair_domain.errors import Conflict, NotFound, Unprocessable
from orgair_domain.pagination import Page, PageRequest, paginate
from orgair_domain.parameters import service as parameters
from orgair_domain.scores.current import current_approved
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.schemas import ReviewDecisionOut
from orgair_domain.value_creation import repository
from orgair_domain.value_creation.models import PlanReviewDecision, ValueCreationPlan
from orgair_domain.value_creation.schemas import (
    EbitdaPreviewRequest,
    EbitdaProjectionOut,
    PlanOut,
    PlanRequest,
)
from orgair_scoring import (
    CompanyInputs,
    EbitdaProjection,
    ScoringParameters,
    UnknownProfileError,
    ValueCreationInputError,
    improvement_plan,
    project_ebitda,
)

# Where each engine input came from in the request a use case was given.
PLAN_POINTERS = {"target_org_air": "/body/target_org_air", "target_score": "/body/target_org_air",
                 "profile": "/body/profile"}  # fmt: skip


def _refused(exc: ValueCreationInputError, pointers: dict[str, str]) -> Unprocessable:
    pointer = pointers.get(exc.field, f"/body/{exc.field}")
    return Unprocessable(
        "Invalid value-creation input",
        str(exc),
        field=exc.field,
        errors=[{"pointer": pointer, "detail": exc.problem}],
    )


def _projection_out(projection: EbitdaProjection, threshold: float) -> EbitdaProjectionOut:
    return EbitdaProjectionOut(**projection.model_dump(), review_threshold=threshold)


def create_plan(
    session: Session,
    settings: Settings,
    company_id: uuid.UUID,
    request: PlanRequest,
    *,
    actor: str | None,
) -> PlanOut:
    company = session.get(Company, company_id)
    if company is None or company.is_deleted:
        raise NotFound("company", company_id)
    score = current_approved(session, company_id)
    if score is None:
        raise Conflict(
            "the company has no approved score: score it (and have the score approved) "
            "before planning",
            errors=[{"pointer": "/path/company_id", "detail": "no approved Org-AI-R score"}],
        )
    entry, h_r, target = score.org_air, score.hr, request.target_org_air
    if target < entry:
        raise Unprocessable(
            "Target below the entry score",
            f"target_org_air {target:g} is below the current approved Org-AI-R {entry:g}",
            field="target_org_air",
            entry_org_air=entry,
            errors=[{"pointer": "/body/target_org_air",
                     "detail": f"must be at least the current approved Org-AI-R {entry:g}"}],
        )  # fmt: skip
    params, profile_row = parameters.resolve_for_scoring(
        session, settings, request.profile or score.parameters_version, actor=actor
    )
    inputs = CompanyInputs.model_validate_json(score.inputs)
    threshold = settings.HITL_EBITDA_PROJECTION_THRESHOLD
    try:
        plan = improvement_plan(inputs, target, params)
        # An unreachable target is projected to the highest Org-AI-R the plan reaches.
        reached = min(target, max(plan.projected_org_air, entry))
        projection = project_ebitda(entry, reached, h_r, params, review_threshold=threshold)
    except ValueCreationInputError as exc:
        raise _refused(exc, PLAN_POINTERS) from None
    status, reasons = ReviewStatus.AUTO_APPROVED, []
    if projection.requires_review:
        status = ReviewStatus.PENDING_REVIEW
        reasons.append(
            f"risk-adjusted EBITDA projection {projection.risk_adjusted:.2f} points is above "
            f"the review threshold {threshold:g}"
        )
    now = utcnow()
    row = ValueCreationPlan(
        company_id=company_id,
        score_id=score.id,
        profile_id=profile_row.id,
        parameters_version=params.version,
        parameters_hash=params.parameters_hash,
        value_creation_hash=params.value_creation_hash,
        target_org_air=target,
        entry_org_air=entry,
        h_r=h_r,
        projected_org_air=plan.projected_org_air,
        reachable=plan.reachable,
        investment_usd=plan.investment_usd,
        ebitda_base=projection.base,
        ebitda_risk_adjusted=projection.risk_adjusted,
        inputs=inputs.model_dump_json(),
        plan=orjson.dumps(plan.to_json_dict()).decode(),
        projection=orjson.dumps(_projection_out(projection, threshold).model_dump()).decode(),
        review_status=status.value,
        review_reasons=orjson.dumps(reasons).decode(),
        approved_at=now if status == ReviewStatus.AUTO_APPROVED else None,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.commit()
    return plan_out(row, None)


def plan_out(row: ValueCreationPlan, review: PlanReviewDecision | None) -> PlanOut:
    plan = orjson.loads(row.plan)
    return PlanOut(
        id=row.id,
        company_id=row.company_id,
        score_id=row.score_id,
        parameters_version=row.parameters_version,
        parameters_hash=row.parameters_hash,
        value_creation_hash=row.value_creation_hash,
        target_org_air=row.target_org_air,
        entry_org_air=row.entry_org_air,
        h_r=row.h_r,
        current_org_air=plan["current_org_air"],
        projected_org_air=row.projected_org_air,
        reachable=row.reachable,
        investment_usd=row.investment_usd,
        dimensions=plan["dimensions"],
        ebitda=orjson.loads(row.projection),
        review_status=ReviewStatus(row.review_status),
        review_reasons=orjson.loads(row.review_reasons),
        approved_at=row.approved_at,
        created_by=row.created_by,
        created_at=row.created_at,
        inputs=orjson.loads(row.inputs),
        review=ReviewDecisionOut.model_validate(review) if review else None,
    )


def plans_out(session: Session, rows: list[ValueCreationPlan]) -> list[PlanOut]:
    """Views of stored plans with their decisions (one query for them all)."""
    decisions = repository.decisions_of(session, [row.id for row in rows])
    return [plan_out(row, decisions.get(row.id)) for row in rows]


def get_plan(session: Session, plan_id: uuid.UUID) -> PlanOut:
    row = session.get(ValueCreationPlan, plan_id)
    if row is None:
        raise NotFound("value creation plan", plan_id)
    return plans_out(session, [row])[0]


def company_plans(session: Session, company_id: uuid.UUID, page: PageRequest) -> Page[PlanOut]:
    """The company's plans, newest first."""
    company = session.get(Company, company_id)
    if company is None or company.is_deleted:
        raise NotFound("company", company_id)
    query = (
        select(ValueCreationPlan)
        .where(ValueCreationPlan.company_id == company_id)
        .order_by(ValueCreationPlan.created_at.desc(), ValueCreationPlan.id)
    )
    return paginate(session, query, page).map(lambda rows: plans_out(session, rows))


def decide_plan(
    session: Session,
    plan: ValueCreationPlan,
    decision: Literal["approve", "reject"],
    comment: str | None,
    *,
    reviewer: str,
    reviewer_role: str,
) -> PlanOut:
    """A reviewer's decision on a pending plan, by the rules of a score's review (the
    queue, `orgair_domain.reviews`, checks the request and routes it here)."""
    if plan.review_status != ReviewStatus.PENDING_REVIEW:
        raise Conflict(
            f"plan is {plan.review_status}: only pending plans can be decided, once",
            review_status=plan.review_status,
        )
    now = utcnow()
    if decision == "approve":
        current = current_approved(session, plan.company_id)
        if current is None or current.id != plan.score_id:
            raise Conflict(
                "the company's approved score changed since this plan was built; "
                "build a new plan instead",
                current_score_id=str(current.id) if current else None,
            )
        plan.review_status = ReviewStatus.APPROVED.value
        plan.approved_at = now
    else:
        plan.review_status = ReviewStatus.REJECTED.value
    review = PlanReviewDecision(
        plan_id=plan.id,
        decision=decision,
        comment=comment,
        reviewer=reviewer,
        reviewer_role=reviewer_role,
        decided_at=now,
    )
    session.add(review)
    session.commit()
    return plan_out(plan, review)


def ebitda_preview(
    session: Session, settings: Settings, request: EbitdaPreviewRequest
) -> EbitdaProjectionOut:
    """What-if: the EBITDA projection of given scores under a profile; nothing stored."""
    params = _lookup(session, settings, request.profile or settings.PARAM_VERSION)
    threshold = settings.HITL_EBITDA_PROJECTION_THRESHOLD
    try:
        projection = project_ebitda(
            request.entry_score,
            request.target_score,
            request.h_r_score,
            params,
            review_threshold=threshold,
        )
    except ValueCreationInputError as exc:
        raise _refused(exc, {}) from None
    return _projection_out(projection, threshold)


def _lookup(session: Session, settings: Settings, name: str) -> ScoringParameters:
    try:
        return parameters.lookup(session, settings, name)
    except UnknownProfileError as exc:
        raise Unprocessable(
            "Unknown parameter profile",
            str(exc),
            field="profile",
            errors=[{"pointer": "/body/profile", "detail": str(exc)}],
        ) from None
