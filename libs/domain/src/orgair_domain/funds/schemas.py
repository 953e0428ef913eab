from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orgair_database.values import VISIBLE_MULTILINE_TEXT, VISIBLE_TEXT

FundName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), VISIBLE_TEXT
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=4000), VISIBLE_MULTILINE_TEXT
]
EnterpriseValue = Annotated[float, Field(ge=0, allow_inf_nan=False)]

# Enough for the largest funds in one request, small enough for the gateway's body limit.
MAX_MEMBERS_PER_REQUEST = 10_000


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: uuid.UUID
    ev_usd: EnterpriseValue | None = Field(
        default=None, description="Enterprise value in USD; null counts as 100 in the Fund-AI-R"
    )


def _distinct_companies(members: list[MemberIn]) -> list[MemberIn]:
    seen: set[uuid.UUID] = set()
    for member in members:
        if member.company_id in seen:
            raise ValueError(f"company {member.company_id} is listed twice")
        seen.add(member.company_id)
    return members


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[MemberIn] = Field(min_length=1, max_length=MAX_MEMBERS_PER_REQUEST)

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _distinct_companies(self.members)
        return self


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ev_usd: EnterpriseValue | None = Field(description="The new EV; null = unknown (counts 100)")


class FundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: FundName
    description: Description | None = None
    members: list[MemberIn] = Field(default_factory=list, max_length=MAX_MEMBERS_PER_REQUEST)

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _distinct_companies(self.members)
        return self


class FundUpdate(BaseModel):
    """Fields to change; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: FundName | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> Self:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name may be omitted but not null")
        return self


class FundOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    member_count: int = Field(description="Companies in the fund now")
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class MemberOut(BaseModel):
    company_id: uuid.UUID
    company_name: str
    ticker: str | None
    ev_usd: float | None
    added_at: datetime
    removed_at: datetime | None
    added_by: str | None
    removed_by: str | None


Quartile = Literal["Q1", "Q2", "Q3", "Q4"]


class SummaryMember(BaseModel):
    company_id: uuid.UUID
    company_name: str
    sector: str
    ev_usd: float | None
    ev_weight: float = Field(description="EV used for weighting: ev_usd, or 100 when unknown")
    org_air: float | None = Field(description="Current approved Org-AI-R; null when unscored")
    score_id: uuid.UUID | None
    sector_quartile: Quartile | None = Field(description="Within-sector quartile by cut-offs")


class RankedMember(BaseModel):
    company_id: uuid.UUID
    company_name: str
    org_air: float


class UnscoredMember(BaseModel):
    company_id: uuid.UUID
    company_name: str


class SectorShare(BaseModel):
    sector: str
    companies: int
    ev_share: float = Field(description="The sector's share of the fund's EV, 0..1")


class FundValueCreationOut(BaseModel):
    """The members' approved value-creation plans (each member's latest), rolled up."""

    members_with_plans: int
    ebitda_risk_adjusted_pct: float | None = Field(
        description="EV-weighted mean risk-adjusted EBITDA projection of the plans "
        "(percentage points; EV rule as fund_air); null without plans"
    )
    ebitda_base_pct: float | None = Field(description="The same mean of the base projections")
    org_air_uplift: float | None = Field(
        description="EV-weighted mean of projected_org_air - entry_org_air over the plans"
    )
    investment_usd: float = Field(description="Total investment of the plans")
    plan_ids: list[uuid.UUID]


class FundSummaryOut(BaseModel):
    fund_id: uuid.UUID
    fund_name: str
    fund_air: float | None = Field(
        description="EV-weighted mean of the scored members' current approved Org-AI-R "
        "(missing EV counts as 100); null when no member is scored or all weights are 0"
    )
    member_count: int
    scored_count: int
    unscored_count: int
    leaders: list[RankedMember] = Field(description="Org-AI-R >= 70, best first")
    laggards: list[RankedMember] = Field(description="Org-AI-R < 50, worst first")
    unscored: list[UnscoredMember]
    sector_hhi: float | None = Field(
        description="Herfindahl-Hirschman index of EV shares by sector, 0..1 (1 = one sector); "
        "null for an empty fund"
    )
    sectors: list[SectorShare]
    members: list[SummaryMember]
    value_creation: FundValueCreationOut | None = Field(
        default=None, description="The members' latest approved value-creation plans, rolled up"
    )
    computed_at: datetime
