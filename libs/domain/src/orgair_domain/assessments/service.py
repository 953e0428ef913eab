"""Assessments (CS1): create, read, list, the status life cycle and the scoring inputs."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_domain import cache_keys
from orgair_domain.assessments import repository
from orgair_domain.assessments.models import Assessment
from orgair_domain.assessments.schemas import AssessmentCreate, AssessmentOut, ScoringInputs
from orgair_domain.assessments.status import (
    LOCKED_STATUSES,
    AssessmentStatus,
    AssessmentType,
    allowed_next,
)
from orgair_domain.companies import repository as companies
from orgair_domain.errors import Conflict, InvalidInput, NotFound
from orgair_domain.pagination import Page, PageRequest, paginate


def _out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut.model_validate(assessment)


def create_assessment(session: Session, data: AssessmentCreate) -> AssessmentOut:
    if companies.get_active(session, data.company_id) is None:
        raise InvalidInput(
            f"company_id '{data.company_id}' does not exist or was deleted",
            errors=[{"pointer": "/body/company_id", "detail": "unknown company"}],
        )
    assessment = Assessment(**data.model_dump())
    session.add(assessment)
    session.commit()
    return _out(assessment)


def require_assessment(session: Session, assessment_id: uuid.UUID) -> Assessment:
    assessment = repository.get(session, assessment_id)
    if assessment is None:
        raise NotFound("assessment", assessment_id)
    return assessment


def get_assessment(session: Session, assessment_id: uuid.UUID) -> AssessmentOut:
    return _out(require_assessment(session, assessment_id))


def ensure_editable(assessment: Assessment) -> None:
    """Once submitted, an assessment's evidence is what reviewers see: it no longer changes."""
    if assessment.status in LOCKED_STATUSES:
        raise Conflict(
            f"assessment is {assessment.status}: its scores and inputs can no longer change",
            current_status=assessment.status,
            editable_statuses=[AssessmentStatus.DRAFT.value, AssessmentStatus.IN_PROGRESS.value],
        )


def update_scoring_inputs(
    session: Session, cache: Cache, assessment_id: uuid.UUID, data: ScoringInputs
) -> AssessmentOut:
    assessment = require_assessment(session, assessment_id)
    ensure_editable(assessment)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(assessment, field, value)
    session.commit()
    cache.invalidate(cache_keys.assessment(cache, assessment_id))
    return _out(assessment)


def list_assessments(
    session: Session,
    *,
    company_id: uuid.UUID | None,
    status: AssessmentStatus | None,
    assessment_type: AssessmentType | None,
    page: PageRequest,
) -> Page[AssessmentOut]:
    query = repository.filtered_query(
        company_id=company_id, status=status, assessment_type=assessment_type
    )
    return paginate(session, query, page).map(lambda rows: [_out(row) for row in rows])


def change_status(
    session: Session, cache: Cache, assessment_id: uuid.UUID, new_status: AssessmentStatus
) -> AssessmentOut:
    assessment = require_assessment(session, assessment_id)
    current = AssessmentStatus(assessment.status)
    valid = allowed_next(current)
    if new_status not in valid:
        names = ", ".join(status.value for status in valid) or "none (terminal status)"
        raise InvalidInput(
            f"invalid status transition from '{current}' to '{new_status}'; valid: {names}",
            current_status=current.value,
            valid_transitions=[status.value for status in valid],
        )
    assessment.status = new_status.value
    session.commit()
    cache.invalidate(cache_keys.assessment(cache, assessment_id))
    return _out(assessment)
