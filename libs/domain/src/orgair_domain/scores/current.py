"""A company's current score: its latest approved one (ties: the newer score).

The review gate compares every new score with it, the fund summary averages it, and
`GET /companies/{id}/scores` shows it. One ordering defines "current" for all of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.scores.models import OrgAirScore

# The latest approval wins, ties by the newer score.
CURRENT_FIRST = (OrgAirScore.approved_at.desc(), OrgAirScore.created_at.desc())


class ApprovedScore(Protocol):
    """What the review gate compares a new score with."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_air(self) -> float: ...


def current_approved(session: Session, company_id: uuid.UUID) -> OrgAirScore | None:
    return session.scalar(
        select(OrgAirScore)
        .where(OrgAirScore.company_id == company_id, OrgAirScore.approved_at.is_not(None))
        .order_by(*CURRENT_FIRST)
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
        .order_by(OrgAirScore.company_id, *CURRENT_FIRST)
    )
    current: dict[uuid.UUID, CurrentScore] = {}
    for score_id, company_id, org_air in rows.tuples():
        current.setdefault(company_id, CurrentScore(score_id, company_id, org_air))
    return current
