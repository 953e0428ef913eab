"""A new score row: its column values, gated by the review rule.

Both the API (one ORM row) and a fund job (thousands of plain rows inserted at once)
build a score here, so every score records the same columns and is gated the same way.
A row starts pending; the caller approves it (`approval`) when the gate allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.scores.current import ApprovedScore
from orgair_domain.scores.inputs import AssessmentFacts
from orgair_domain.scores.models import OrgAirScore
from orgair_domain.scores.review_gate import ReviewStatus, review_gate
from orgair_scoring import CompanyInputs, ScoreResult


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


def insert_score_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many score rows (column values from `new_score_values`) in one executemany."""
    if rows:
        session.execute(insert(OrgAirScore), list(rows))
