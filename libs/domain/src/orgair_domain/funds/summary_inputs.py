"""What a fund summary is computed from, read in one statement, and its fingerprint.

Why one statement: the summary of a 10,000-company fund used to read the members, then
every approved score of every member in slices of 500 (twenty queries, all of a
company's history, reduced to the current one in Python). Here the database picks each
member's current approved score itself, with the ordering that defines "current"
(`orgair_domain.scores.current.CURRENT_FIRST`) in a window over the members' approved
scores (a correlated subquery per member ran twice per row on PostgreSQL), and the rows
come back as plain column tuples.

Why a fingerprint: the summary is cached (the scoring API's fund summary endpoint), and
a cached summary must never outlive its inputs. Rather than trusting every write path
to bump a version, the cache key carries an aggregate of the inputs themselves, read by
`summary_fingerprint` in one cheap query. It changes with every write that can change
the summary:

- the fund's name, and every membership change (add, EV change, removal), through
  `funds.updated_at`, which the fund service sets on each of them; a removal also
  lowers the member count;
- a member company renamed, moved to another industry or soft-deleted, through the
  members' count and max(`companies.updated_at`);
- a score approved for a member (on creation or by a reviewer), through the count and
  max(`approved_at`) of the members' approved scores (scores are never edited or
  deleted once approved; a rejection approves nothing and changes nothing).

Industries (the sector of each company) are reference data written by migrations and
the seed only. A new input of the summary adds its rows in `summary_members` (or a
sibling read next to it) and its own terms to `summary_fingerprint`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from orgair_domain.companies.models import Company
from orgair_domain.funds.models import Fund, FundMembership
from orgair_domain.funds.repository import current_members
from orgair_domain.funds.summary import MemberScore
from orgair_domain.industries.models import Industry
from orgair_domain.scores.current import CURRENT_FIRST
from orgair_domain.scores.models import OrgAirScore
from orgair_domain.value_creation.models import ValueCreationPlan


def _current_scores(fund_id: uuid.UUID) -> Any:
    """The current approved score of each open member: its first in `CURRENT_FIRST`
    order (a window over the members' approved scores, one pass on every backend)."""
    open_members = select(FundMembership.company_id).where(
        FundMembership.fund_id == fund_id, FundMembership.removed_at.is_(None)
    )
    return (
        select(
            OrgAirScore.company_id,
            type_coerce(OrgAirScore.id, String).label("score_id"),
            OrgAirScore.org_air,
            func.row_number()
            .over(partition_by=OrgAirScore.company_id, order_by=CURRENT_FIRST)
            .label("rank"),
        )
        .where(OrgAirScore.approved_at.is_not(None), OrgAirScore.company_id.in_(open_members))
        .subquery()
    )


def summary_members(session: Session, fund_id: uuid.UUID) -> list[MemberScore]:
    """Each current member with its name, sector, EV and current approved Org-AI-R."""
    current = _current_scores(fund_id)
    rows = session.execute(
        select(
            # Ids as the stored canonical text, parsed once here rather than through
            # the column type's per-row processor.
            type_coerce(FundMembership.company_id, String),
            Company.name,
            Industry.sector,
            FundMembership.ev_usd,
            current.c.org_air,
            current.c.score_id,
        )
        .select_from(FundMembership)
        .join(Company, Company.id == FundMembership.company_id)
        .join(Industry, Industry.id == Company.industry_id)
        .outerjoin(
            current,
            and_(current.c.company_id == FundMembership.company_id, current.c.rank == 1),
        )
        .where(current_members([fund_id]))
    )
    as_uuid = uuid.UUID
    return [
        MemberScore(
            as_uuid(member), name, sector, ev, org_air, None if score is None else as_uuid(score)
        )
        for member, name, sector, ev, org_air, score in rows.tuples()
    ]


def summary_fingerprint(session: Session, fund: Fund) -> str:
    """A value that changes whenever `summary_members`, the members' approved value-creation
    plans or the fund's name would."""
    members = session.execute(
        select(func.count(), func.max(Company.updated_at))
        .select_from(FundMembership)
        .join(Company, Company.id == FundMembership.company_id)
        .where(current_members([fund.id]))
    ).one()
    # Over every open membership, deleted companies included: deleting one already
    # changes the counts above, and skipping the join halves the query's cost.
    scores = session.execute(
        select(func.count(), func.max(OrgAirScore.approved_at))
        .select_from(FundMembership)
        .join(OrgAirScore, OrgAirScore.company_id == FundMembership.company_id)
        .where(
            FundMembership.fund_id == fund.id,
            FundMembership.removed_at.is_(None),
            OrgAirScore.approved_at.is_not(None),
        )
    ).one()
    # The value-creation section: the members' approved plans (an approval stamps approved_at).
    plans = session.execute(
        select(func.count(), func.max(ValueCreationPlan.approved_at))
        .select_from(FundMembership)
        .join(ValueCreationPlan, ValueCreationPlan.company_id == FundMembership.company_id)
        .where(
            FundMembership.fund_id == fund.id,
            FundMembership.removed_at.is_(None),
            ValueCreationPlan.approved_at.is_not(None),
        )
    ).one()
    parts = (fund.updated_at, *members, *scores, *plans)
    return "|".join("" if part is None else str(part) for part in parts)
