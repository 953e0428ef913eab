"""Computing, storing and reading Org-AI-R scores.

A score is computed from a submitted (or approved) assessment: its seven dimension
scores, its scoring inputs and its company's industry. The stored row keeps the inputs
snapshot and the exact parameter profile, so any past score can be recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_database import utcnow
from orgair_observability import Conflict, NotFound, ProblemError
from orgair_observability.metrics import SCORES_COMPUTED
from orgair_scoring import DIMENSIONS, CompanyInputs, ScoreResult, derive_profile, score_company
from orgair_scoring_api import cache_keys
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.assessments.schemas import AssessmentOut
from orgair_scoring_api.assessments.service import require_assessment
from orgair_scoring_api.assessments.status import AssessmentStatus
from orgair_scoring_api.companies.models import Company
from orgair_scoring_api.dimension_scores import repository as dimension_scores
from orgair_scoring_api.dimension_scores.schemas import DimensionScoreOut
from orgair_scoring_api.industries.models import Industry
from orgair_scoring_api.parameters import service as parameters
from orgair_scoring_api.reviews.models import ReviewDecision
from orgair_scoring_api.scores.models import OrgAirScore
from orgair_scoring_api.scores.review_gate import APPROVED_STATUSES, ReviewStatus, review_gate
from orgair_scoring_api.scores.schemas import (
    AssessmentDetailOut,
    CompanyScoresOut,
    PreviewRequest,
    ReviewDecisionOut,
    ScoreOut,
)

SCORABLE_STATUSES = frozenset({AssessmentStatus.SUBMITTED, AssessmentStatus.APPROVED})
TREND_BAND = 5.0


class IncompleteAssessment(ValueError):
    """The assessment lacks what scoring needs; `problems` names each missing piece."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(detail for _, detail in problems))
        self.problems = problems


class AssessmentFacts(Protocol):
    """What scoring reads of an assessment (an `Assessment` row, or the worker's lighter
    copy of its columns)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def company_id(self) -> uuid.UUID: ...
    @property
    def talent_concentration(self) -> float | None: ...
    @property
    def market_cap_percentile(self) -> float | None: ...
    @property
    def alignment(self) -> float | None: ...
    @property
    def timing_factor(self) -> float | None: ...


class IndustryFacts(Protocol):
    @property
    def sector(self) -> str: ...
    @property
    def h_r_base(self) -> float: ...


class DimensionFacts(Protocol):
    @property
    def dimension(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def evidence_count(self) -> int: ...


class ApprovedScore(Protocol):
    """What the review gate compares a new score with."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_air(self) -> float: ...


def build_inputs(
    assessment: AssessmentFacts, industry: IndustryFacts, rows: Sequence[DimensionFacts]
) -> CompanyInputs:
    """CompanyInputs for an assessment; raises IncompleteAssessment naming what is missing."""
    by_dimension = {row.dimension: row for row in rows}
    problems = [
        (f"/dimension_scores/{name}", f"missing dimension score: {name}")
        for name in DIMENSIONS
        if name not in by_dimension
    ]
    for field in ("talent_concentration", "market_cap_percentile"):
        if getattr(assessment, field) is None:
            problems.append((f"/scoring_inputs/{field}", f"missing scoring input: {field}"))
    if problems:
        raise IncompleteAssessment(problems)
    return CompanyInputs(
        id=str(assessment.company_id),
        sector=industry.sector,
        h_r_base=industry.h_r_base,
        dimensions={name: by_dimension[name].score for name in DIMENSIONS},
        talent_concentration=assessment.talent_concentration,
        market_cap_percentile=assessment.market_cap_percentile,
        alignment=assessment.alignment,
        timing_factor=assessment.timing_factor,
        evidence_count=sum(row.evidence_count for row in rows),
    )


# "The company's current score": the latest approval wins, ties by the newer score.
_CURRENT_FIRST = (OrgAirScore.approved_at.desc(), OrgAirScore.created_at.desc())


def current_approved(session: Session, company_id: uuid.UUID) -> OrgAirScore | None:
    return session.scalar(
        select(OrgAirScore)
        .where(OrgAirScore.company_id == company_id, OrgAirScore.approved_at.is_not(None))
        .order_by(*_CURRENT_FIRST)
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class CurrentScore:
    """A company's current approved score, as far as the gate and the fund summary need it."""

    id: uuid.UUID
    company_id: uuid.UUID
    org_air: float


def current_approved_many(
    session: Session, company_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CurrentScore]:
    """`current_approved` for many companies in one query (companies without one are absent).

    Reads three columns rather than whole rows: a fund job asks this for thousands.
    """
    if not company_ids:
        return {}
    rows = session.execute(
        select(OrgAirScore.id, OrgAirScore.company_id, OrgAirScore.org_air)
        .where(OrgAirScore.company_id.in_(company_ids), OrgAirScore.approved_at.is_not(None))
        .order_by(OrgAirScore.company_id, *_CURRENT_FIRST)
    )
    current: dict[uuid.UUID, CurrentScore] = {}
    for score_id, company_id, org_air in rows.tuples():
        current.setdefault(company_id, CurrentScore(score_id, company_id, org_air))
    return current


def approve(
    session: Session, score: OrgAirScore, status: ReviewStatus, now: datetime
) -> set[uuid.UUID]:
    """Make `score` the company's current score; returns the assessments whose status changed.

    Per the CS1 life cycle, its assessment moves submitted → approved and the company's
    previously approved assessments move approved → superseded.
    """
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


def new_score_values(
    *,
    assessment: AssessmentFacts,
    inputs: CompanyInputs,
    result: ScoreResult,
    profile_id: uuid.UUID,
    previous: ApprovedScore | None,
    change_threshold: float,
    actor: str | None,
) -> tuple[dict[str, Any], ReviewStatus]:
    """The column values of a new score row (held for review until approved) and the
    review gate's decision for it."""
    decision = review_gate(
        result.org_air,
        previous.org_air if previous else None,
        change_threshold=change_threshold,
    )
    values = {
        "id": uuid.uuid4(),
        "assessment_id": assessment.id,
        "company_id": assessment.company_id,
        "profile_id": profile_id,
        "parameters_version": result.parameters_version,
        "parameters_hash": result.parameters_hash,
        "inputs": inputs.model_dump_json(),
        "result": result.model_dump_json(),
        "vr": result.vr,
        "hr": result.hr,
        "synergy": result.synergy,
        "org_air": result.org_air,
        "org_air_ci_lower": result.ci.org_air[0],
        "org_air_ci_upper": result.ci.org_air[1],
        "review_status": ReviewStatus.PENDING_REVIEW.value,
        "review_reasons": orjson.dumps(list(decision.reasons)).decode(),
        "compared_with_score_id": previous.id if previous else None,
        "approved_at": None,
        "created_by": actor,
        "created_at": utcnow(),
        "job_id": None,
    }
    return values, decision.status


def new_score_row(
    *,
    assessment: AssessmentFacts,
    inputs: CompanyInputs,
    result: ScoreResult,
    profile_id: uuid.UUID,
    previous: ApprovedScore | None,
    change_threshold: float,
    actor: str | None,
) -> tuple[OrgAirScore, ReviewStatus]:
    values, status = new_score_values(
        assessment=assessment,
        inputs=inputs,
        result=result,
        profile_id=profile_id,
        previous=previous,
        change_threshold=change_threshold,
        actor=actor,
    )
    return OrgAirScore(**values), status


def invalidate_after_scoring(
    cache: Cache, company_id: uuid.UUID, assessments: set[uuid.UUID]
) -> None:
    invalidate_after_scoring_many(cache, [company_id], assessments)


def invalidate_after_scoring_many(
    cache: Cache, company_ids: Iterable[uuid.UUID], assessments: Iterable[uuid.UUID]
) -> None:
    """Drop what new scores change, in one round trip for any number of companies."""
    cache.invalidate(
        *(cache_keys.company_scores(cache, company_id) for company_id in company_ids),
        *(cache_keys.assessment(cache, assessment_id) for assessment_id in assessments),
    )


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
        raise ProblemError(
            422,
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
    try:
        base = parameters.lookup(session, settings, request.profile or settings.PARAM_VERSION)
    except LookupError as exc:
        raise ProblemError(
            422, "Unknown parameter profile", str(exc),
            errors=[{"pointer": "/body/profile", "detail": str(exc)}],
        ) from None  # fmt: skip
    params = base
    if request.overrides:
        try:
            params = derive_profile(base, request.overrides)
        except ValidationError as exc:
            raise ProblemError(
                422, "Invalid parameter overrides", "the overrides do not form a valid profile",
                errors=[
                    {"pointer": "/body/overrides/" + "/".join(str(p) for p in error["loc"]),
                     "detail": error["msg"]}
                    for error in exc.errors(include_input=False, include_url=False)
                ],
            ) from None  # fmt: skip
    inputs = CompanyInputs.model_validate(request.inputs.model_dump())
    return score_company(inputs, params).to_json_dict()


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


def company_scores(
    session: Session, cache: Cache, settings: Settings, company_id: uuid.UUID
) -> dict[str, Any]:
    def load() -> dict[str, Any] | None:
        company = session.get(Company, company_id)
        if company is None or company.is_deleted:
            return None
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
        ).model_dump(mode="json")

    found = cache.get_or_load(
        cache_keys.company_scores(cache, company_id), settings.CACHE_TTL_SCORES, load
    )
    if found is None:
        raise NotFound("company", company_id)
    return found


def assessment_detail(session: Session, assessment_id: uuid.UUID) -> AssessmentDetailOut:
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
