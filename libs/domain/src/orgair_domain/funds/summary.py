"""The fund summary (Fund-AI-R) as a pure function of the members and their scores.

- Fund-AI-R: EV-weighted mean of the scored members' current approved Org-AI-R; a member
  without an EV counts with EV 100; unscored members are listed, not averaged.
- Leaders score >= 70, laggards < 50.
- Sector concentration: Herfindahl-Hirschman index of the members' EV shares by sector
  (every member, scored or not, with the same EV rule), on a 0..1 scale.
- Within-sector quartile by fixed cut-offs (q1, q2, q3): Org-AI-R >= q1 is Q1, >= q2 Q2,
  >= q3 Q3, else Q4; sectors without their own cut-offs use the `others` row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from orgair_domain.funds.schemas import (
    FundSummaryOut,
    Quartile,
    RankedMember,
    SectorShare,
    SummaryMember,
    UnscoredMember,
)

LEADER_MIN_ORG_AIR = 70.0
LAGGARD_BELOW_ORG_AIR = 50.0
MISSING_EV_WEIGHT = 100.0

SECTOR_QUARTILE_CUTOFFS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "technology": (75.0, 65.0, 55.0),
        "healthcare": (70.0, 58.0, 48.0),
        "financial_services": (72.0, 60.0, 50.0),
        "manufacturing": (68.0, 55.0, 45.0),
        "retail": (65.0, 52.0, 42.0),
        "energy": (60.0, 48.0, 38.0),
    }
)
OTHER_SECTORS_CUTOFFS = (65.0, 55.0, 45.0)


@dataclass(frozen=True, slots=True)
class MemberScore:
    """One member of the fund as the summary sees it."""

    company_id: uuid.UUID
    company_name: str
    sector: str
    ev_usd: float | None
    org_air: float | None
    score_id: uuid.UUID | None

    @property
    def ev_weight(self) -> float:
        return MISSING_EV_WEIGHT if self.ev_usd is None else self.ev_usd


def sector_quartile(sector: str, org_air: float) -> Quartile:
    q1, q2, q3 = SECTOR_QUARTILE_CUTOFFS.get(sector.strip().lower(), OTHER_SECTORS_CUTOFFS)
    if org_air >= q1:
        return "Q1"
    if org_air >= q2:
        return "Q2"
    if org_air >= q3:
        return "Q3"
    return "Q4"


def scored_members(members: Sequence[MemberScore]) -> list[tuple[MemberScore, float]]:
    """The members that have a current approved score, each with that score."""
    return [(member, member.org_air) for member in members if member.org_air is not None]


def fund_air(members: Sequence[MemberScore]) -> float | None:
    scored = scored_members(members)
    total_weight = sum(member.ev_weight for member, _ in scored)
    if total_weight <= 0:
        return None
    return sum(member.ev_weight * org_air for member, org_air in scored) / total_weight


def sector_shares(members: Sequence[MemberScore]) -> tuple[list[SectorShare], float | None]:
    """Each sector's share of the fund's EV, and their HHI (None when the fund has no EV)."""
    weights: dict[str, float] = {}
    counts: dict[str, int] = {}
    for member in members:
        sector = member.sector.strip().lower()
        weights[sector] = weights.get(sector, 0.0) + member.ev_weight
        counts[sector] = counts.get(sector, 0) + 1
    total = sum(weights.values())
    shares = {sector: (weight / total if total > 0 else 0.0) for sector, weight in weights.items()}
    hhi = sum(share * share for share in shares.values()) if total > 0 else None
    ordered = sorted(shares, key=lambda sector: (-shares[sector], sector))
    return [SectorShare(sector=s, companies=counts[s], ev_share=shares[s]) for s in ordered], hhi


def summarize(
    fund_id: uuid.UUID, fund_name: str, members: Sequence[MemberScore], now: datetime
) -> FundSummaryOut:
    """The summary, built without re-validating what the database already typed.

    The per-member models are made with `model_construct`: validating 10,000 members
    (and their ids) took longer than reading them. The values are the ones validation
    would produce (floats as floats, ids as UUIDs), which tests/domain checks against
    validated models.
    """
    ordered = sorted(members, key=lambda member: (member.company_name, str(member.company_id)))
    scored = scored_members(ordered)
    leaders = sorted(
        (pair for pair in scored if pair[1] >= LEADER_MIN_ORG_AIR), key=lambda pair: -pair[1]
    )
    laggards = sorted(
        (pair for pair in scored if pair[1] < LAGGARD_BELOW_ORG_AIR), key=lambda pair: pair[1]
    )
    sectors, hhi = sector_shares(ordered)
    return FundSummaryOut.model_construct(
        fund_id=fund_id,
        fund_name=fund_name,
        fund_air=fund_air(ordered),
        member_count=len(ordered),
        scored_count=len(scored),
        unscored_count=len(ordered) - len(scored),
        leaders=[_ranked(member, org_air) for member, org_air in leaders],
        laggards=[_ranked(member, org_air) for member, org_air in laggards],
        unscored=[
            UnscoredMember.model_construct(company_id=m.company_id, company_name=m.company_name)
            for m in ordered
            if m.org_air is None
        ],
        sector_hhi=hhi,
        sectors=sectors,
        members=[_summary_member(m) for m in ordered],
        computed_at=now,
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _summary_member(member: MemberScore) -> SummaryMember:
    org_air = _float(member.org_air)
    return SummaryMember.model_construct(
        company_id=member.company_id,
        company_name=member.company_name,
        sector=member.sector,
        ev_usd=_float(member.ev_usd),
        ev_weight=float(member.ev_weight),
        org_air=org_air,
        score_id=member.score_id,
        sector_quartile=None if org_air is None else sector_quartile(member.sector, org_air),
    )


def _ranked(member: MemberScore, org_air: float) -> RankedMember:
    return RankedMember.model_construct(
        company_id=member.company_id, company_name=member.company_name, org_air=float(org_air)
    )
