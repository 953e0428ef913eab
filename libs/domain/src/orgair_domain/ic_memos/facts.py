"""What a memo states as fact: read from the platform's records, never from a model.

The score a memo is about is the company's current approved score, else (said so in
the memo) its newest computed one. With it: the trend and history of approved scores,
the intervals, the dimension scores of the scored assessment and their newest
justifications, and the company's latest approved value-creation plan, where one
exists (a plan still waiting for its review is not the firm's plan yet).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_domain.companies.models import Company
from orgair_domain.dimension_scores import repository as dimension_scores
from orgair_domain.errors import NotFound, Unprocessable
from orgair_domain.industries.models import Industry
from orgair_domain.justifications import repository as justifications
from orgair_domain.justifications.schemas import JustificationOut
from orgair_domain.justifications.service import justifications_out
from orgair_domain.scores.schemas import ScoreOut
from orgair_domain.scores.service import company_scores
from orgair_domain.value_creation import repository as plans
from orgair_domain.value_creation.schemas import PlanOut
from orgair_domain.value_creation.service import plans_out
from orgair_scoring import DIMENSIONS


@dataclass(frozen=True)
class DimensionFact:
    dimension: str
    score: float
    justification: JustificationOut | None


@dataclass(frozen=True)
class MemoFacts:
    company_id: uuid.UUID
    company_name: str
    ticker: str | None
    industry: str
    sector: str
    score: ScoreOut
    score_is_approved: bool
    trend: str | None
    approved_history: list[ScoreOut]  # oldest first
    dimensions: list[DimensionFact]
    plan: PlanOut | None = None


def gather_facts(session: Session, settings: Settings, company_id: uuid.UUID) -> MemoFacts:
    """The facts of the company's memo; NotFound / Unprocessable (never scored)."""
    company = session.get(Company, company_id)
    if company is None or company.is_deleted:
        raise NotFound("company", company_id)
    scores = company_scores(session, company_id)
    score = scores.current or (scores.history[0] if scores.history else None)
    if score is None:
        raise Unprocessable(
            "Company not scored",
            "the company has no Org-AI-R score yet; score an assessment first",
            code="company-not-scored",
        )
    industry = session.get(Industry, company.industry_id)
    assert industry is not None  # foreign key
    approved = sorted(
        (item for item in scores.history if item.approved_at is not None),
        key=lambda item: (item.approved_at, item.created_at),
    )
    rows = dimension_scores.list_for_assessment(session, score.assessment_id)
    latest = justifications_out(
        session, settings, justifications.latest_per_dimension(session, score.assessment_id)
    )
    by_dimension = {item.dimension.value: item for item in latest}
    approved_plan = plans.latest_approved_many(session, [company.id]).get(company.id)
    values = {row.dimension: row.score for row in rows}
    return MemoFacts(
        company_id=company.id,
        company_name=company.name,
        ticker=company.ticker,
        industry=industry.name,
        sector=industry.sector,
        score=score,
        score_is_approved=scores.current is not None,
        trend=scores.trend,
        approved_history=approved,
        dimensions=[
            DimensionFact(name, values[name], by_dimension.get(name))
            for name in DIMENSIONS
            if name in values
        ],
        plan=plans_out(session, [approved_plan])[0] if approved_plan is not None else None,
    )
