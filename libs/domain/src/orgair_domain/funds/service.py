"""Funds: CRUD, membership over time, and the fund summary (Fund-AI-R)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.companies.models import Company
from orgair_domain.errors import Conflict, InvalidInput, NotFound
from orgair_domain.funds import repository
from orgair_domain.funds.models import Fund, FundMembership
from orgair_domain.funds.schemas import (
    FundCreate,
    FundOut,
    FundSummaryOut,
    FundUpdate,
    MemberIn,
    MemberOut,
    MemberUpdate,
)
from orgair_domain.funds.summary import summarize
from orgair_domain.funds.summary_inputs import summary_fingerprint, summary_members
from orgair_domain.funds.value_creation_rollup import with_value_creation
from orgair_domain.jobs import repository as jobs
from orgair_domain.pagination import Page, PageRequest, paginate

# Conflict details name at most this many companies; the count says how many in all.
LISTED_IN_DETAIL = 20


def require_fund(session: Session, fund_id: uuid.UUID) -> Fund:
    fund = repository.get_active(session, fund_id)
    if fund is None:
        raise NotFound("fund", fund_id)
    return fund


def _fund_out(fund: Fund, member_count: int) -> FundOut:
    return FundOut(
        id=fund.id,
        name=fund.name,
        description=fund.description,
        member_count=member_count,
        created_by=fund.created_by,
        created_at=fund.created_at,
        updated_at=fund.updated_at,
    )


def _member_out(membership: FundMembership, company_name: str, ticker: str | None) -> MemberOut:
    return MemberOut(
        company_id=membership.company_id,
        company_name=company_name,
        ticker=ticker,
        ev_usd=membership.ev_usd,
        added_at=membership.added_at,
        removed_at=membership.removed_at,
        added_by=membership.added_by,
        removed_by=membership.removed_by,
    )


def create_fund(session: Session, data: FundCreate, *, actor: str | None) -> FundOut:
    now = utcnow()
    fund = Fund(
        name=data.name,
        description=data.description,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(fund)
    session.flush()
    _insert_members(session, fund, data.members, actor=actor)
    session.commit()
    return _fund_out(fund, len(data.members))


def list_funds(session: Session, page: PageRequest) -> Page[FundOut]:
    def out(funds: list[Fund]) -> list[FundOut]:
        counts = repository.member_counts(session, [fund.id for fund in funds])
        return [_fund_out(fund, counts.get(fund.id, 0)) for fund in funds]

    return paginate(session, repository.active_query(), page).map(out)


def get_fund(session: Session, fund_id: uuid.UUID) -> FundOut:
    fund = require_fund(session, fund_id)
    return _fund_out(fund, repository.member_counts(session, [fund_id]).get(fund_id, 0))


def update_fund(session: Session, fund_id: uuid.UUID, data: FundUpdate) -> FundOut:
    fund = require_fund(session, fund_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(fund, field, value)
    session.commit()
    return _fund_out(fund, repository.member_counts(session, [fund_id]).get(fund_id, 0))


def delete_fund(session: Session, fund_id: uuid.UUID) -> None:
    """Soft delete, refused while a scoring job of the fund is queued or running."""
    fund = require_fund(session, fund_id)
    active = jobs.active_for_fund(session, fund_id)
    if active is not None:
        raise Conflict(
            "the fund has a scoring job in progress; cancel it first", job_id=str(active.id)
        )
    fund.is_deleted = True
    session.commit()


def list_members(
    session: Session, fund_id: uuid.UUID, *, include_removed: bool, page: PageRequest
) -> Page[MemberOut]:
    require_fund(session, fund_id)

    def out(memberships: list[FundMembership]) -> list[MemberOut]:
        names = repository.company_names(session, [m.company_id for m in memberships])
        return [_member_out(m, *names[m.company_id]) for m in memberships]

    query = repository.memberships_query(fund_id, include_removed=include_removed)
    return paginate(session, query, page).map(out)


def add_members(
    session: Session, fund_id: uuid.UUID, members: Sequence[MemberIn], *, actor: str | None
) -> list[MemberOut]:
    fund = require_fund(session, fund_id)
    added = _insert_members(session, fund, members, actor=actor)
    fund.updated_at = utcnow()
    try:
        session.commit()
    except IntegrityError:
        # Another request added one of these companies since we looked.
        session.rollback()
        raise Conflict("a company was added to the fund concurrently; retry") from None
    names = repository.company_names(session, [row["company_id"] for row in added])
    return [
        MemberOut(
            company_id=row["company_id"],
            company_name=names[row["company_id"]][0],
            ticker=names[row["company_id"]][1],
            ev_usd=row["ev_usd"],
            added_at=row["added_at"],
            removed_at=None,
            added_by=actor,
            removed_by=None,
        )
        for row in added
    ]


def _insert_members(
    session: Session,
    fund: Fund,
    members: Sequence[MemberIn],
    *,
    actor: str | None,
) -> list[dict[str, Any]]:
    """Validate and bulk-insert new memberships (the caller commits); their column values.

    Plain rows rather than ORM objects: a fund is created with thousands of members.
    """
    if not members:
        return []
    ids = [member.company_id for member in members]
    known = repository.active_company_ids(session, ids)
    unknown = [index for index, member in enumerate(members) if member.company_id not in known]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} company id(s) do not exist or were deleted",
            errors=[
                {"pointer": f"/body/members/{index}/company_id", "detail": "unknown company"}
                for index in unknown[:LISTED_IN_DETAIL]
            ],
        )
    present = {m.company_id for m in repository.current_memberships(session, fund.id, ids)}
    if present:
        listed = sorted(str(company_id) for company_id in present)
        raise Conflict(
            f"{len(listed)} company(ies) are already in the fund; change their EV with "
            "PUT /funds/{fund_id}/members/{company_id}",
            company_ids=listed[:LISTED_IN_DETAIL],
        )
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "fund_id": fund.id,
            "company_id": member.company_id,
            "ev_usd": member.ev_usd,
            "added_at": now,
            "removed_at": None,
            "added_by": actor,
            "removed_by": None,
        }
        for member in members
    ]
    repository.add_memberships(session, rows)
    return rows


def _require_membership(
    session: Session, fund_id: uuid.UUID, company_id: uuid.UUID
) -> FundMembership:
    current = repository.current_memberships(session, fund_id, [company_id])
    if not current:
        raise NotFound("fund member", company_id)
    return current[0]


def update_member(
    session: Session,
    fund_id: uuid.UUID,
    company_id: uuid.UUID,
    data: MemberUpdate,
    *,
    actor: str | None,
) -> MemberOut:
    """A new EV closes the current interval and opens one at the same instant."""
    fund = require_fund(session, fund_id)
    membership = _require_membership(session, fund_id, company_id)
    if membership.ev_usd != data.ev_usd:
        now = utcnow()
        membership.removed_at = now
        membership.removed_by = actor
        session.flush()  # close the old interval before the unique index sees the new one
        membership = FundMembership(
            fund_id=fund_id,
            company_id=company_id,
            ev_usd=data.ev_usd,
            added_at=now,
            added_by=actor,
        )
        session.add(membership)
        fund.updated_at = now
        session.commit()
    company = session.get(Company, company_id)
    assert company is not None
    return _member_out(membership, company.name, company.ticker)


def remove_member(
    session: Session, fund_id: uuid.UUID, company_id: uuid.UUID, *, actor: str | None
) -> None:
    fund = require_fund(session, fund_id)
    membership = _require_membership(session, fund_id, company_id)
    now = utcnow()
    membership.removed_at = now
    membership.removed_by = actor
    fund.updated_at = now
    session.commit()


def fund_summary(session: Session, fund_id: uuid.UUID) -> FundSummaryOut:
    return summary_of(session, require_fund(session, fund_id))


def fund_summary_fingerprint(session: Session, fund_id: uuid.UUID) -> str:
    """What the summary's cache key carries: it changes with any of its inputs."""
    return summary_fingerprint(session, require_fund(session, fund_id))


def summary_of(session: Session, fund: Fund) -> FundSummaryOut:
    """The summary over the fund's current members and their current approved scores."""
    summary = summarize(fund.id, fund.name, summary_members(session, fund.id), utcnow())
    return with_value_creation(session, summary)
