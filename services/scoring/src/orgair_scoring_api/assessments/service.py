from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import Database
from orgair_observability import BadRequest, Conflict, NotFound
from orgair_scoring_api import cache_keys
from orgair_scoring_api.assessments import repository
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.assessments.schemas import AssessmentCreate, AssessmentOut, ScoringInputs
from orgair_scoring_api.assessments.status import (
    LOCKED_STATUSES,
    AssessmentStatus,
    AssessmentType,
    allowed_next,
)
from orgair_scoring_api.cached_reads import read_through
from orgair_scoring_api.companies import repository as companies
from orgair_scoring_api.pagination import Page, PageParams


def _out(assessment: Assessment) -> dict[str, Any]:
    return AssessmentOut.model_validate(assessment).model_dump(mode="json")


def create_assessment(session: Session, data: AssessmentCreate) -> dict[str, Any]:
    if companies.get_active(session, data.company_id) is None:
        raise BadRequest(
            f"company_id '{data.company_id}' does not exist or was deleted",
            errors=[{"pointer": "/body/company_id", "detail": "unknown company"}],
        )
    assessment = Assessment(**data.model_dump())
    session.add(assessment)
    session.commit()
    return _out(assessment)


async def read_assessment(
    cache: Cache,
    database: Database,
    assessment_id: uuid.UUID,
    *,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """The assessment as the cached JSON response (with `headers`), or loaded and
    cached; 404 when absent."""

    def load() -> dict[str, Any] | None:
        with database.sessions() as session:
            assessment = repository.get(session, assessment_id)
            return None if assessment is None else _out(assessment)

    key = cache_keys.assessment(cache, assessment_id)
    found = await read_through(cache, key, cache_keys.ASSESSMENT_TTL, load, headers=headers)
    if found is None:
        raise NotFound("assessment", assessment_id)
    return found


def require_assessment(session: Session, assessment_id: uuid.UUID) -> Assessment:
    assessment = repository.get(session, assessment_id)
    if assessment is None:
        raise NotFound("assessment", assessment_id)
    return assessment


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
) -> dict[str, Any]:
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
    page: PageParams,
) -> Page[AssessmentOut]:
    rows, total = repository.list_filtered(
        session,
        company_id=company_id,
        status=status,
        assessment_type=assessment_type,
        offset=page.offset,
        limit=page.page_size,
    )
    return Page[AssessmentOut].build([AssessmentOut.model_validate(r) for r in rows], total, page)


def change_status(
    session: Session, cache: Cache, assessment_id: uuid.UUID, new_status: AssessmentStatus
) -> dict[str, Any]:
    assessment = require_assessment(session, assessment_id)
    current = AssessmentStatus(assessment.status)
    valid = allowed_next(current)
    if new_status not in valid:
        names = ", ".join(status.value for status in valid) or "none (terminal status)"
        raise BadRequest(
            f"invalid status transition from '{current}' to '{new_status}'; valid: {names}",
            current_status=current.value,
            valid_transitions=[status.value for status in valid],
        )
    assessment.status = new_status.value
    session.commit()
    cache.invalidate(cache_keys.assessment(cache, assessment_id))
    return _out(assessment)
