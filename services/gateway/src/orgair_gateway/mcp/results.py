"""What the MCP tools return: compact, typed projections of scoring's own answers.

An assistant's context is small and every token of it is paid for, so a tool returns
the fields a person would look at, not scoring's whole record (a score's full
breakdown, its inputs snapshot and its parameter hash stay in the REST API's
answers). Each model is validated from scoring's JSON as it came: fields it does not
name are dropped, and nothing is computed here — a number in a result is a number
scoring answered. The SDK turns each model into the tool's output schema and
its structured content.

Long lists are cut to `LIST_LIMIT` items with the full count beside them, so a
10,000-company fund answers in a few hundred tokens and says what it left out.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "LIST_LIMIT",
    "AssessmentView",
    "CompanyItem",
    "CompanyScores",
    "DimensionScore",
    "EbitdaProjection",
    "EvidenceItem",
    "EvidenceResults",
    "FundItem",
    "GapAnalysis",
    "JobProgress",
    "Justifications",
    "Listing",
    "PortfolioSummary",
    "ReviewDecided",
    "ReviewItem",
    "ScorePreview",
    "ScoreSummary",
]

LIST_LIMIT = 10

ItemT = TypeVar("ItemT")

ReviewStatus = Literal["auto_approved", "pending_review", "approved", "rejected"]


class Compact(BaseModel):
    """A projection of scoring's JSON: unnamed fields are dropped, nothing is added."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Listing(Compact, Generic[ItemT]):
    """One page of a paginated API list, with where it stands in the whole."""

    items: list[ItemT]
    total: int
    page: int
    page_size: int
    total_pages: int


def _first(items: Any, limit: int = LIST_LIMIT) -> tuple[list[Any], int]:
    values = list(items) if isinstance(items, list) else []
    return values[:limit], len(values)


# ---------------------------------------------------------------------- companies


class CompanyItem(Compact):
    id: uuid.UUID
    name: str
    ticker: str | None
    industry_id: uuid.UUID
    position_factor: float


class FundItem(Compact):
    id: uuid.UUID
    name: str
    description: str | None
    member_count: int


# ------------------------------------------------------------------------ scores


class ReviewRecord(Compact):
    decision: Literal["approve", "reject"]
    comment: str | None
    reviewer: str
    decided_at: datetime


class ScoreSummary(Compact):
    """One stored Org-AI-R score and where it stands in review."""

    kind: Literal["score"] = "score"
    id: uuid.UUID = Field(description="The score's id (what a review decision names)")
    assessment_id: uuid.UUID
    company_id: uuid.UUID
    org_air: float
    vr: float
    hr: float
    synergy: float
    org_air_ci: tuple[float, float] = Field(description="95 % confidence interval of Org-AI-R")
    parameters_version: str = Field(description="The parameter profile it was computed with")
    review_status: ReviewStatus
    review_reasons: list[str]
    created_at: datetime
    approved_at: datetime | None
    review: ReviewRecord | None = None


class ScorePreview(Compact):
    """A what-if score: computed from the given inputs, stored nowhere."""

    org_air: float
    vr: float
    hr: float
    synergy: float
    weighted_mean: float
    cv: float
    position_factor: float
    alignment: float
    timing_factor: float
    ci: dict[str, tuple[float, float]] = Field(
        description="95 % confidence intervals of vr, hr, synergy and org_air"
    )
    parameters_version: str


class CompanyScores(Compact):
    company_id: uuid.UUID
    current: ScoreSummary | None = Field(description="The latest approved score")
    trend: Literal["improving", "stable", "declining"] | None
    history: list[ScoreSummary] = Field(description=f"The newest {LIST_LIMIT} scores computed")
    history_total: int

    @classmethod
    def of(cls, body: dict[str, Any]) -> CompanyScores:
        history, total = _first(body.get("history"))
        return cls.model_validate({**body, "history": history, "history_total": total})


class DimensionScore(Compact):
    dimension: str
    score: float
    confidence: float
    evidence_count: int


class AssessmentView(Compact):
    id: uuid.UUID
    company_id: uuid.UUID
    assessment_type: str
    assessment_date: date
    status: str
    talent_concentration: float | None
    market_cap_percentile: float | None
    alignment: float | None
    timing_factor: float | None
    dimension_scores: list[DimensionScore]
    scores: list[ScoreSummary] = Field(description="Scores computed from it, newest first")


# ------------------------------------------------------------------------- funds


class RankedMember(Compact):
    company_id: uuid.UUID
    company_name: str
    org_air: float


class UnscoredMember(Compact):
    company_id: uuid.UUID
    company_name: str


class SectorShare(Compact):
    sector: str
    companies: int
    ev_share: float


class PortfolioSummary(Compact):
    """Fund-AI-R and its breakdown, as `GET /funds/{id}/summary` computes them."""

    fund_id: uuid.UUID
    fund_name: str
    fund_air: float | None = Field(
        description="EV-weighted mean of the members' current approved Org-AI-R"
    )
    member_count: int
    scored_count: int
    unscored_count: int
    sector_hhi: float | None = Field(description="Sector concentration of EV, 0..1")
    sectors: list[SectorShare]
    leaders: list[RankedMember] = Field(description=f"Org-AI-R >= 70, best {LIST_LIMIT}")
    leaders_total: int
    laggards: list[RankedMember] = Field(description=f"Org-AI-R < 50, worst {LIST_LIMIT}")
    laggards_total: int
    unscored: list[UnscoredMember] = Field(description=f"First {LIST_LIMIT} unscored members")
    computed_at: datetime

    @classmethod
    def of(cls, body: dict[str, Any]) -> PortfolioSummary:
        leaders, leaders_total = _first(body.get("leaders"))
        laggards, laggards_total = _first(body.get("laggards"))
        unscored, _ = _first(body.get("unscored"))
        return cls.model_validate(
            {
                **body,
                "leaders": leaders,
                "leaders_total": leaders_total,
                "laggards": laggards,
                "laggards_total": laggards_total,
                "unscored": unscored,
            }
        )


class JobFailure(Compact):
    company_id: uuid.UUID
    code: str
    reason: str


class JobProgress(Compact):
    """A background job: a fund's scoring, an assessment's justifications, or a memo."""

    id: uuid.UUID
    kind: Literal["fund_scoring", "justifications", "ic_memo"]
    fund_id: uuid.UUID | None
    assessment_id: uuid.UUID | None
    company_id: uuid.UUID | None
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    profile: str | None
    total: int
    done: int
    scored: int
    failed: int
    error: str | None
    errors: list[JobFailure] = Field(description=f"The first {LIST_LIMIT} companies that failed")
    report_ready: bool = Field(
        description="A fund scoring job's report is in S3 (GET /api/v2/jobs/{id}/report)"
    )
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> JobProgress:
        errors, _ = _first(body.get("errors"))
        return cls.model_validate(
            {**body, "errors": errors, "report_ready": body.get("report") is not None}
        )


# ------------------------------------------------- evidence, justifications, value


class EvidenceItem(Compact):
    id: uuid.UUID
    kind: Literal["note", "url", "document"]
    title: str
    source: str | None
    url: str | None
    evidence_date: date
    dimensions: list[str]
    excerpt: str | None = Field(description="The best-matching passage (searches only)")
    relevance: float | None = Field(
        description="Higher is more relevant; comparable within one answer only"
    )


class EvidenceResults(Compact):
    company_id: uuid.UUID
    query: str | None
    dimension: str | None
    items: list[EvidenceItem] = Field(description="Best first")
    total: int = Field(description="Matching items in all (more exist when above the shown)")

    @classmethod
    def of(cls, company_id: uuid.UUID, body: dict[str, Any]) -> EvidenceResults:
        items = []
        for hit in body.get("items") or []:
            match = hit.get("match") or {}
            items.append({**hit, "excerpt": match.get("text"), "relevance": match.get("relevance")})
        return cls.model_validate(
            {
                "company_id": company_id,
                "query": body.get("q"),
                "dimension": body.get("dimension"),
                "items": items,
                "total": body.get("total", len(items)),
            }
        )


class Citation(Compact):
    label: str = Field(description="How the text cites it: E1 is [E1] in the text")
    evidence_id: uuid.UUID
    title: str
    excerpt: str


class Justification(Compact):
    dimension: str
    score: float
    status: Literal["justified", "no_evidence", "citation_invalid", "failed"]
    text: str | None
    failure_code: str | None
    reason: str | None
    citations: list[Citation]


class Justifications(Compact):
    assessment_id: uuid.UUID
    job_id: uuid.UUID | None
    items: list[Justification] = Field(description="The latest justification of each dimension")


class EbitdaProjection(Compact):
    """Projected EBITDA uplift in percentage points, per DESIGN §5 (computed by scoring)."""

    delta: float
    conservative: float
    base: float
    optimistic: float
    risk_adjusted: float
    requires_review: bool = Field(description="risk_adjusted above the review threshold")
    review_threshold: float
    parameters_version: str


class DimensionGap(Compact):
    current: float
    target: float
    gap: float
    priority: Literal["high", "medium", "low"]
    investment_usd: float


class GapAnalysis(Compact):
    """A least-cost improvement plan, re-scored by the engine, as scoring stored it."""

    kind: Literal["value_creation_plan"] = "value_creation_plan"
    id: uuid.UUID = Field(description="The plan's id (what a review decision names)")
    company_id: uuid.UUID
    score_id: uuid.UUID = Field(description="The approved score the plan starts from")
    parameters_version: str
    target_org_air: float
    entry_org_air: float
    current_org_air: float
    projected_org_air: float
    reachable: bool
    investment_usd: float
    dimensions: dict[str, DimensionGap]
    ebitda: EbitdaProjection
    review_status: ReviewStatus
    review_reasons: list[str]
    created_at: datetime
    approved_at: datetime | None
    review: ReviewRecord | None = None


ReviewItem = Annotated[ScoreSummary | GapAnalysis, Field(discriminator="kind")]


class ReviewDecided(Compact):
    """The score or plan after the decision (an approved score becomes the company's
    current one)."""

    item: ReviewItem

    @classmethod
    def of(cls, body: dict[str, Any]) -> ReviewDecided:
        return cls.model_validate({"item": body})
