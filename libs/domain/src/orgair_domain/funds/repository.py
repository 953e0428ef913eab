from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from orgair_domain.batching import slices
from orgair_domain.companies.models import Company
from orgair_domain.funds.models import Fund, FundMembership


def get_active(session: Session, fund_id: uuid.UUID) -> Fund | None:
    fund = session.get(Fund, fund_id)
    return None if fund is None or fund.is_deleted else fund


def active_query() -> Select[tuple[Fund]]:
    """Funds not deleted, newest first."""
    return select(Fund).where(Fund.is_deleted.is_(False)).order_by(Fund.created_at.desc(), Fund.id)


def current_members(fund_ids: Collection[uuid.UUID]) -> Any:
    """Memberships open now, of companies that were not deleted (join Company first)."""
    return and_(
        FundMembership.fund_id.in_(fund_ids),
        FundMembership.removed_at.is_(None),
        Company.is_deleted.is_(False),
    )


def member_counts(session: Session, fund_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not fund_ids:
        return {}
    rows = session.execute(
        select(FundMembership.fund_id, func.count())
        .join(Company, Company.id == FundMembership.company_id)
        .where(current_members(fund_ids))
        .group_by(FundMembership.fund_id)
    )
    return {fund_id: count for fund_id, count in rows}


def current_memberships(
    session: Session, fund_id: uuid.UUID, company_ids: Collection[uuid.UUID] | None = None
) -> list[FundMembership]:
    query = (
        select(FundMembership)
        .join(Company, Company.id == FundMembership.company_id)
        .where(current_members([fund_id]))
    )
    if company_ids is None:
        return list(session.scalars(query))
    found: list[FundMembership] = []
    for part in slices(list(company_ids)):
        found.extend(session.scalars(query.where(FundMembership.company_id.in_(part))))
    return found


def memberships_query(
    fund_id: uuid.UUID, *, include_removed: bool
) -> Select[tuple[FundMembership]]:
    """The fund's memberships of companies not deleted (open ones only unless
    `include_removed`), in the order they began."""
    query = (
        select(FundMembership)
        .join(Company, Company.id == FundMembership.company_id)
        .where(FundMembership.fund_id == fund_id, Company.is_deleted.is_(False))
    )
    if not include_removed:
        query = query.where(FundMembership.removed_at.is_(None))
    return query.order_by(FundMembership.added_at, Company.name, FundMembership.id)


def active_company_ids(session: Session, company_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `company_ids` that exist and were not deleted."""
    found: set[uuid.UUID] = set()
    for part in slices(company_ids):
        found.update(
            session.scalars(
                select(Company.id).where(Company.id.in_(part), Company.is_deleted.is_(False))
            )
        )
    return found


def company_names(
    session: Session, company_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """(name, ticker) of each company."""
    found: dict[uuid.UUID, tuple[str, str | None]] = {}
    for part in slices(company_ids):
        rows = session.execute(
            select(Company.id, Company.name, Company.ticker).where(Company.id.in_(part))
        )
        found.update({company_id: (name, ticker) for company_id, name, ticker in rows.tuples()})
    return found


def add_memberships(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many membership rows in one executemany (thousands per request)."""
    if rows:
        session.execute(insert(FundMembership), list(rows))


def members_as_of(session: Session, fund_id: uuid.UUID, moment: datetime) -> list[uuid.UUID]:
    """The fund's companies at `moment` (not deleted since), in the order they joined."""
    rows = session.scalars(
        select(FundMembership.company_id)
        .join(Company, Company.id == FundMembership.company_id)
        .where(
            FundMembership.fund_id == fund_id,
            FundMembership.added_at <= moment,
            or_(FundMembership.removed_at.is_(None), FundMembership.removed_at > moment),
            Company.is_deleted.is_(False),
        )
        .order_by(FundMembership.added_at, FundMembership.company_id)
    )
    return list(rows)
