"""The fund summary read in one statement equals the summary computed the way it was
before (members, then every approved score reduced in Python, validated models), on a
fund with scored, unscored, pending-only, removed and deleted members across sectors,
and ties between approvals."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.assessments.models import Assessment
from orgair_domain.companies.models import Company
from orgair_domain.funds.models import Fund, FundMembership
from orgair_domain.funds.schemas import FundSummaryOut
from orgair_domain.funds.service import summary_of
from orgair_domain.funds.summary import (
    LAGGARD_BELOW_ORG_AIR,
    LEADER_MIN_ORG_AIR,
    MemberScore,
    fund_air,
    sector_quartile,
    sector_shares,
)
from orgair_domain.industries.models import Industry
from orgair_domain.parameters.models import ParameterProfile
from orgair_domain.scores.current import current_approved_many
from orgair_domain.scores.models import OrgAirScore


def reference_summary(session: Session, fund: Fund, now: datetime) -> FundSummaryOut:
    """The summary as it was computed before the one-statement read: validated models."""
    rows = session.execute(
        select(FundMembership.company_id, Company.name, Industry.sector, FundMembership.ev_usd)
        .join(Company, Company.id == FundMembership.company_id)
        .join(Industry, Industry.id == Company.industry_id)
        .where(
            FundMembership.fund_id == fund.id,
            FundMembership.removed_at.is_(None),
            Company.is_deleted.is_(False),
        )
    ).tuples()
    members = list(rows)
    current = current_approved_many(session, [m[0] for m in members])
    scores = [
        MemberScore(cid, name, sector, ev, current[cid].org_air if cid in current else None,
                    current[cid].id if cid in current else None)
        for cid, name, sector, ev in members
    ]  # fmt: skip
    ordered = sorted(scores, key=lambda m: (m.company_name, str(m.company_id)))
    scored = [(m, m.org_air) for m in ordered if m.org_air is not None]
    leaders = sorted((p for p in scored if p[1] >= LEADER_MIN_ORG_AIR), key=lambda p: -p[1])
    laggards = sorted((p for p in scored if p[1] < LAGGARD_BELOW_ORG_AIR), key=lambda p: p[1])
    sectors, hhi = sector_shares(ordered)
    return FundSummaryOut.model_validate(
        {
            "fund_id": fund.id, "fund_name": fund.name, "fund_air": fund_air(ordered),
            "member_count": len(ordered), "scored_count": len(scored),
            "unscored_count": len(ordered) - len(scored),
            "leaders": [{"company_id": m.company_id, "company_name": m.company_name,
                         "org_air": o} for m, o in leaders],
            "laggards": [{"company_id": m.company_id, "company_name": m.company_name,
                          "org_air": o} for m, o in laggards],
            "unscored": [{"company_id": m.company_id, "company_name": m.company_name}
                         for m in ordered if m.org_air is None],
            "sector_hhi": hhi, "sectors": [s.model_dump() for s in sectors],
            "members": [
                {"company_id": m.company_id, "company_name": m.company_name, "sector": m.sector,
                 "ev_usd": m.ev_usd, "ev_weight": m.ev_weight, "org_air": m.org_air,
                 "score_id": m.score_id,
                 "sector_quartile": None if m.org_air is None
                 else sector_quartile(m.sector, m.org_air)}
                for m in ordered
            ],
            "computed_at": now,
            # The value-creation rollup came after the one-statement read; it has its own
            # tests (tests/api_v2/test_value_creation.py). No member here has a plan.
            "value_creation": {"members_with_plans": 0, "ebitda_risk_adjusted_pct": None,
                               "ebitda_base_pct": None, "org_air_uplift": None,
                               "investment_usd": 0.0, "plan_ids": []},
        }
    )  # fmt: skip


def fixture_fund(session: Session) -> Fund:
    now = utcnow()
    profile = ParameterProfile(
        version="v2.0",
        parameters_hash=uuid.uuid4().hex,
        value_creation_hash=uuid.uuid4().hex,
        parameters="{}",
        source="builtin",
    )
    fund = Fund(name="Mixed Fund", created_at=now, updated_at=now)
    session.add_all([profile, fund])
    session.flush()
    industries = list(session.scalars(select(Industry).order_by(Industry.name)))

    def add_company(index: int, *, deleted: bool = False) -> Company:
        company = Company(
            name=f"Co {index % 7}",  # repeated names: the id breaks the tie
            industry_id=industries[index % len(industries)].id,
            position_factor=0.0,
            is_deleted=deleted,
        )
        session.add(company)
        session.flush()
        return company

    def add_score(company: Company, org_air: float, approved_at: datetime | None,
                  created_at: datetime) -> None:  # fmt: skip
        assessment = Assessment(
            company_id=company.id, assessment_type="quarterly",
            assessment_date=now.date(), status="submitted", primary_assessor="A",
        )  # fmt: skip
        session.add(assessment)
        session.flush()
        session.add(
            OrgAirScore(
                assessment_id=assessment.id, company_id=company.id, profile_id=profile.id,
                parameters_version="v2.0", parameters_hash="h", inputs="{}", result="{}",
                vr=1.0, hr=1.0, synergy=1.0, org_air=org_air, org_air_ci_lower=0.0,
                org_air_ci_upper=1.0,
                review_status="approved" if approved_at else "pending_review",
                approved_at=approved_at, created_at=created_at,
            )
        )  # fmt: skip

    hour = timedelta(hours=1)
    evs: list[float | None] = [1e6, None, 0.0, 250.5, 3.0]
    for index in range(40):
        company = add_company(index, deleted=index == 39)
        kind = index % 5
        if kind == 0:  # two approvals: the later one is current
            add_score(company, 40.0 + index, now - 2 * hour, now - 2 * hour)
            add_score(company, 30.0 + index, now - hour, now - 3 * hour)
        elif kind == 1:  # tie on approved_at: the newer score is current
            add_score(company, 45.0 + index, now - hour, now - 2 * hour)
            add_score(company, 55.0 + index / 2, now - hour, now - hour)
        elif kind == 2:  # pending only: unscored
            add_score(company, 90.0, None, now)
        elif kind == 3:  # approved, and a newer pending one that is not current
            add_score(company, 70.0 + index / 10, now - hour, now - hour)
            add_score(company, 20.0, None, now)
        session.add(
            FundMembership(
                fund_id=fund.id, company_id=company.id, ev_usd=evs[index % len(evs)],
                added_at=now - 5 * hour,
                removed_at=now - 4 * hour if index % 11 == 10 else None,
            )
        )  # fmt: skip
        if index % 11 == 10 and index % 2 == 0:  # removed, then back with another EV
            session.add(
                FundMembership(fund_id=fund.id, company_id=company.id, ev_usd=7.0,
                               added_at=now - 4 * hour)
            )  # fmt: skip
    session.commit()
    return fund


def test_the_one_statement_summary_equals_the_reference(session: Session) -> None:
    fund = fixture_fund(session)
    summary = summary_of(session, fund)
    reference = reference_summary(session, fund, summary.computed_at)

    assert summary == reference
    assert orjson.dumps(summary.model_dump(mode="json")) == orjson.dumps(
        reference.model_dump(mode="json")
    )
    assert summary.model_dump_json() == reference.model_dump_json()
    # The fixture exercises what it claims to.
    assert 0 < summary.scored_count < summary.member_count == 39 - 3 + 2
    assert len({m.sector for m in summary.members}) > 4
    assert summary.leaders and summary.laggards
    assert any(m.ev_usd is None for m in summary.members)


def test_an_empty_fund(session: Session) -> None:
    now = utcnow()
    fund = Fund(name="Empty", created_at=now, updated_at=now)
    session.add(fund)
    session.commit()
    summary = summary_of(session, fund)
    assert summary == reference_summary(session, fund, summary.computed_at)
    assert (summary.member_count, summary.fund_air, summary.sector_hhi) == (0, None, None)
