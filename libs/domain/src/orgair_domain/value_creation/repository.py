"""Reading stored plans: one, a company's page of them, the latest approved per company."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.batching import slices
from orgair_domain.value_creation.models import PlanReviewDecision, ValueCreationPlan

# The latest approval wins, ties by the newer plan (as for scores).
CURRENT_FIRST = (ValueCreationPlan.approved_at.desc(), ValueCreationPlan.created_at.desc())


def decisions_of(
    session: Session, plan_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, PlanReviewDecision]:
    decisions: dict[uuid.UUID, PlanReviewDecision] = {}
    for part in slices(list(plan_ids)):
        query = select(PlanReviewDecision).where(PlanReviewDecision.plan_id.in_(part))
        decisions.update((row.plan_id, row) for row in session.scalars(query))
    return decisions


def latest_approved_many(
    session: Session, company_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ValueCreationPlan]:
    """Each company's latest approved plan (companies without one are absent)."""
    latest: dict[uuid.UUID, ValueCreationPlan] = {}
    for part in slices(list(company_ids)):
        rows = session.scalars(
            select(ValueCreationPlan)
            .where(
                ValueCreationPlan.company_id.in_(part),
                ValueCreationPlan.approved_at.is_not(None),
            )
            .order_by(ValueCreationPlan.company_id, *CURRENT_FIRST)
        )
        for row in rows:
            latest.setdefault(row.company_id, row)
    return latest
