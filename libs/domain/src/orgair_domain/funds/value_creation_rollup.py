"""The fund summary's `value_creation` section: the members' approved plans, rolled up.

Each member counts with its latest approved plan (auto-approved or approved by a
reviewer; the latest approval wins), weighted by its EV with the Fund-AI-R rule (a
member without an EV weighs 100). Members without an approved plan are left out of
the means, as unscored members are left out of Fund-AI-R.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from orgair_domain.funds.schemas import FundSummaryOut, FundValueCreationOut
from orgair_domain.value_creation import repository as plans
from orgair_domain.value_creation.models import ValueCreationPlan


def with_value_creation(session: Session, summary: FundSummaryOut) -> FundSummaryOut:
    """`summary` with its `value_creation` section filled from the stored plans."""
    weights = {member.company_id: member.ev_weight for member in summary.members}
    latest = plans.latest_approved_many(session, list(weights))
    return summary.model_copy(update={"value_creation": value_creation_section(weights, latest)})


def value_creation_section(
    weights: Mapping[uuid.UUID, float], latest: Mapping[uuid.UUID, ValueCreationPlan]
) -> FundValueCreationOut:
    members = sorted(company_id for company_id in weights if company_id in latest)
    planned = [(weights[company_id], latest[company_id]) for company_id in members]
    total_weight = sum(weight for weight, _ in planned)

    def weighted_mean(values: list[float]) -> float | None:
        if total_weight <= 0:
            return None
        return sum(w * v for (w, _), v in zip(planned, values, strict=True)) / total_weight

    return FundValueCreationOut(
        members_with_plans=len(planned),
        ebitda_risk_adjusted_pct=weighted_mean([p.ebitda_risk_adjusted for _, p in planned]),
        ebitda_base_pct=weighted_mean([p.ebitda_base for _, p in planned]),
        org_air_uplift=weighted_mean([p.projected_org_air - p.entry_org_air for _, p in planned]),
        investment_usd=sum(p.investment_usd for _, p in planned),
        plan_ids=[p.id for _, p in planned],
    )
