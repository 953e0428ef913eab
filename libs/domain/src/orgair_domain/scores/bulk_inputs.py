"""Scoring inputs of many companies at once: each one's latest scorable assessment.

A fund job scores thousands of companies per chunk, so this reads three queries of
plain columns for the whole chunk instead of ORM rows company by company: full ORM
objects would cost more than scoring them. The light rows satisfy the protocols of
`inputs.build_inputs`, like the ORM rows of the synchronous path, so the inputs are
built the same way. A company that cannot be scored comes back as a `CompanyFailure`
saying why.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from orgair_domain.assessments.models import Assessment
from orgair_domain.companies.models import Company
from orgair_domain.dimension_scores.models import DimensionScore
from orgair_domain.industries.models import Industry
from orgair_domain.scores.failures import CompanyFailure, FailureCode
from orgair_domain.scores.inputs import SCORABLE_STATUSES, IncompleteAssessment, build_inputs
from orgair_scoring import CompanyInputs


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: uuid.UUID
    company_id: uuid.UUID
    talent_concentration: float | None
    market_cap_percentile: float | None
    alignment: float | None
    timing_factor: float | None


@dataclass(frozen=True, slots=True)
class IndustryRow:
    sector: str
    h_r_base: float


@dataclass(frozen=True, slots=True)
class DimensionRow:
    dimension: str
    score: float
    evidence_count: int


@dataclass
class LoadedInputs:
    """Per scorable company its inputs and the assessment they come from; the others."""

    inputs: dict[uuid.UUID, CompanyInputs]
    assessments: dict[uuid.UUID, AssessmentRow]
    failures: list[CompanyFailure]


def load_inputs(session: Session, company_ids: Sequence[uuid.UUID]) -> LoadedInputs:
    """Each company's latest submitted or approved assessment turned into CompanyInputs."""
    industries = {
        company_id: IndustryRow(sector, h_r_base)
        for company_id, sector, h_r_base in session.execute(
            select(Company.id, Industry.sector, Industry.h_r_base)
            .join(Industry, Industry.id == Company.industry_id)
            .where(Company.id.in_(company_ids), Company.is_deleted.is_(False))
        ).tuples()
    }
    latest: dict[uuid.UUID, AssessmentRow] = {}
    for row in session.execute(
        select(
            Assessment.id,
            Assessment.company_id,
            Assessment.talent_concentration,
            Assessment.market_cap_percentile,
            Assessment.alignment,
            Assessment.timing_factor,
        )
        .where(
            Assessment.company_id.in_(industries),
            Assessment.status.in_([status.value for status in SCORABLE_STATUSES]),
        )
        .order_by(
            Assessment.company_id,
            Assessment.assessment_date.desc(),
            Assessment.created_at.desc(),
            Assessment.id.desc(),
        )
    ).tuples():
        if row[1] not in latest:
            latest[row[1]] = AssessmentRow(*row)
    # Keyed by the id's text: parsing seven UUIDs per company would cost more than scoring.
    dimensions: dict[str, list[DimensionRow]] = {str(a.id): [] for a in latest.values()}
    for assessment_id, dimension, score, evidence in session.execute(
        select(
            type_coerce(DimensionScore.assessment_id, String),
            DimensionScore.dimension,
            DimensionScore.score,
            DimensionScore.evidence_count,
        ).where(DimensionScore.assessment_id.in_([a.id for a in latest.values()]))
    ).tuples():
        dimensions[assessment_id].append(DimensionRow(dimension, score, evidence))

    loaded = LoadedInputs(inputs={}, assessments=latest, failures=[])
    for company_id in company_ids:
        industry = industries.get(company_id)
        assessment = latest.get(company_id)
        if industry is None:
            loaded.failures.append(
                CompanyFailure(company_id, None, FailureCode.COMPANY_DELETED,
                               "the company was deleted after the job started")
            )  # fmt: skip
            continue
        if assessment is None:
            loaded.failures.append(
                CompanyFailure(company_id, None, FailureCode.NO_SCORABLE_ASSESSMENT,
                               "no submitted or approved assessment to score")
            )  # fmt: skip
            continue
        try:
            loaded.inputs[company_id] = build_inputs(
                assessment, industry, dimensions[str(assessment.id)]
            )
        except IncompleteAssessment as exc:
            loaded.failures.append(
                CompanyFailure(company_id, assessment.id, FailureCode.INCOMPLETE_ASSESSMENT,
                               f"cannot score: {exc}")
            )  # fmt: skip
        except ValidationError as exc:
            loaded.failures.append(
                CompanyFailure(company_id, assessment.id, FailureCode.INVALID_INPUTS,
                               _validation_reason(exc))
            )  # fmt: skip
    return loaded


def _validation_reason(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    ]
    return "invalid scoring inputs: " + "; ".join(problems)
