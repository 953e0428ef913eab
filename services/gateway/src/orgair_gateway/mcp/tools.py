"""The MCP tools: the platform's operations an assistant needs to work a portfolio.

Each tool is one call to one scoring endpoint (named in its description), made as the
caller through `PlatformCalls.calling`: the REST API computes, validates and decides;
a tool only shapes its arguments into the request and scoring's answer into a compact
result (`results`). Argument types are the API's types without its rules: an
out-of-range score or an unknown profile is refused by scoring, and the refusal comes
back as a tool error with the problem's title and detail, the same words the REST
API would answer with.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, ConfigDict, Field

from orgair_auth import Role
from orgair_gateway.mcp.calls import PlatformCalls
from orgair_gateway.mcp.results import (
    AssessmentView,
    CompanyItem,
    CompanyScores,
    EbitdaProjection,
    EvidenceResults,
    FundItem,
    GapAnalysis,
    JobProgress,
    Justifications,
    Listing,
    PortfolioSummary,
    ReviewDecided,
    ReviewItem,
    ScorePreview,
    ScoreSummary,
)

__all__ = ["register_tools"]

CompanyId = Annotated[uuid.UUID, Field(description="The company's id")]
AssessmentId = Annotated[uuid.UUID, Field(description="The assessment's id")]
FundId = Annotated[uuid.UUID, Field(description="The fund's id")]
Profile = Annotated[
    str | None,
    Field(
        description="Parameter profile name (v1.0, v2.0 or a custom one); default: the platform's"
    ),
]
PageNumber = Annotated[int, Field(description="1-based page number")]
PageSize = Annotated[int, Field(description="Items per page (the API allows up to 100)")]


class PreviewInputs(BaseModel):
    """A company's scoring inputs for a what-if score (scoring validates every range)."""

    model_config = ConfigDict(extra="forbid")

    sector: str = Field(description="Sector key, e.g. technology, manufacturing, healthcare")
    dimensions: dict[str, float] = Field(
        description=(
            "All seven dimension scores 0..100: data_infrastructure, ai_governance, "
            "technology_stack, talent_skills, leadership_vision, use_case_portfolio, "
            "culture_change"
        )
    )
    talent_concentration: float = Field(description="TC, 0..1")
    market_cap_percentile: float = Field(description="0..1")
    evidence_count: int = Field(description="Pieces of evidence behind the scores")
    h_r_base: float | None = Field(default=None, description="Overrides the sector's H^R base")
    alignment: float | None = Field(default=None, description="0..1; default 1 - |V^R - H^R|/100")
    timing_factor: float | None = Field(default=None, description="Default: the sector's timing")


def register_tools(server: MCPServer, calls: PlatformCalls) -> None:
    # ------------------------------------------------------------- the portfolio

    @calls.tool(server, title="List or find companies", role=Role.VIEWER, read_only=True)
    async def list_companies(
        search: Annotated[
            str | None, Field(description="Part of the company's name or ticker (any case)")
        ] = None,
        industry_id: Annotated[uuid.UUID | None, Field(description="Only this industry")] = None,
        page: PageNumber = 1,
        page_size: PageSize = 20,
    ) -> Listing[CompanyItem]:
        """Companies, newest first (GET /api/v1/companies). Industry ids and sectors are in
        the orgair://sectors resource."""
        async with calls.calling() as api:
            body = await api.get(
                api.v1("companies"),
                {
                    "q": search,
                    "industry_id": str(industry_id) if industry_id else None,
                    "page": page,
                    "page_size": page_size,
                },
            )
            return Listing[CompanyItem].model_validate(body)

    @calls.tool(server, title="List funds", role=Role.VIEWER, read_only=True)
    async def list_funds(page: PageNumber = 1, page_size: PageSize = 20) -> Listing[FundItem]:
        """Funds with their current member counts (GET /api/v2/funds)."""
        async with calls.calling() as api:
            body = await api.get(api.v2("funds"), {"page": page, "page_size": page_size})
            return Listing[FundItem].model_validate(body)

    @calls.tool(server, title="Portfolio summary of a fund", role=Role.VIEWER, read_only=True)
    async def get_portfolio_summary(fund_id: FundId) -> PortfolioSummary:
        """Fund-AI-R (EV-weighted Org-AI-R of the members' approved scores), leaders,
        laggards, unscored members and sector concentration
        (GET /api/v2/funds/{id}/summary)."""
        async with calls.calling() as api:
            return PortfolioSummary.of(await api.get(api.v2("funds", fund_id, "summary")))

    # ------------------------------------------------------------------- scores

    @calls.tool(server, title="Score history of a company", role=Role.VIEWER, read_only=True)
    async def get_company_scores(company_id: CompanyId) -> CompanyScores:
        """The company's current approved Org-AI-R, its trend and the scores computed for
        it, newest first (GET /api/v2/companies/{id}/scores)."""
        async with calls.calling() as api:
            return CompanyScores.of(await api.get(api.v2("companies", company_id, "scores")))

    @calls.tool(server, title="An assessment and its scores", role=Role.VIEWER, read_only=True)
    async def get_assessment(assessment_id: AssessmentId) -> AssessmentView:
        """An assessment: status, scoring inputs, its seven dimension scores and every
        Org-AI-R computed from it (GET /api/v2/assessments/{id})."""
        async with calls.calling() as api:
            body = await api.get(api.v2("assessments", assessment_id))
            return AssessmentView.model_validate(body)

    @calls.tool(server, title="Calculate the Org-AI-R score", role=Role.ANALYST, read_only=False)
    async def calculate_org_air_score(
        assessment_id: AssessmentId, profile: Profile = None
    ) -> ScoreSummary:
        """Compute and store the Org-AI-R of a submitted (or approved) assessment from its
        seven dimension scores (POST /api/v2/assessments/{id}/score). The score is held
        for a reviewer when it moves too far or falls outside the normal range: see its
        review_status. For a what-if that stores nothing, use preview_org_air_score."""
        async with calls.calling() as api:
            body = await api.call(
                "POST", api.v2("assessments", assessment_id, "score"), json={"profile": profile}
            )
            return ScoreSummary.model_validate(body)

    @calls.tool(
        server, title="What-if Org-AI-R", role=Role.ANALYST, read_only=False, idempotent=True
    )
    async def preview_org_air_score(
        inputs: PreviewInputs,
        profile: Profile = None,
        overrides: Annotated[
            dict[str, Any] | None,
            Field(description="What-if changes to the profile's parameters (e.g. weights)"),
        ] = None,
    ) -> ScorePreview:
        """The Org-AI-R the given inputs would get, under a profile with optional changes;
        nothing is stored (POST /api/v2/scoring/preview)."""
        async with calls.calling() as api:
            body = await api.call(
                "POST",
                api.v2("scoring", "preview"),
                json={
                    "inputs": inputs.model_dump(exclude_none=True),
                    "profile": profile,
                    "overrides": overrides,
                },
            )
            return ScorePreview.model_validate(body)

    # ------------------------------------------------------------------ reviews

    @calls.tool(server, title="Review queue", role=Role.VIEWER, read_only=True)
    async def list_review_queue(
        status: Annotated[
            Literal["pending_review", "approved", "rejected", "auto_approved"],
            Field(description="Which items; the queue itself is pending_review"),
        ] = "pending_review",
        kind: Annotated[
            Literal["score", "value_creation_plan"] | None,
            Field(description="Only scores, or only value-creation plans; default both"),
        ] = None,
        page: PageNumber = 1,
        page_size: PageSize = 20,
    ) -> Listing[ReviewItem]:
        """Scores and value-creation plans by review status, oldest first for the pending
        queue (GET /api/v2/reviews). Each item's `kind` says which it is."""
        async with calls.calling() as api:
            body = await api.get(
                api.v2("reviews"),
                {"status": status, "kind": kind, "page": page, "page_size": page_size},
            )
            return Listing[ReviewItem].model_validate(body)

    @calls.tool(server, title="Decide a review", role=Role.REVIEWER, read_only=False)
    async def decide_review(
        review_id: Annotated[
            uuid.UUID, Field(description="The pending score's or plan's id (from the queue)")
        ],
        decision: Literal["approve", "reject"],
        comment: Annotated[
            str | None, Field(description="Why; required to reject. Recorded with the decision")
        ] = None,
    ) -> ReviewDecided:
        """A reviewer's final decision on a pending score or value-creation plan
        (POST /api/v2/reviews/{id}/decision). An approved score becomes the company's
        current one; a rejected score sends its assessment back to in_progress. Decisions
        cannot be changed: confirm with the user first."""
        async with calls.calling() as api:
            body = await api.call(
                "POST",
                api.v2("reviews", review_id, "decision"),
                json={"decision": decision, "comment": comment},
            )
            return ReviewDecided.of(body)

    # --------------------------------------------------------------------- jobs

    @calls.tool(server, title="Score a whole fund", role=Role.ANALYST, read_only=False)
    async def start_fund_scoring_job(
        fund_id: FundId,
        profile: Profile = None,
        idempotency_key: Annotated[
            str | None,
            Field(description="Send the same key again to get the same job back, not a new one"),
        ] = None,
    ) -> JobProgress:
        """Start a background job that scores every member's latest submitted or approved
        assessment (POST /api/v2/funds/{id}/scoring-jobs). A fund runs one job at a time.
        Follow it with get_job_progress."""
        async with calls.calling() as api:
            headers = [("Idempotency-Key", idempotency_key)] if idempotency_key else []
            body = await api.call(
                "POST",
                api.v2("funds", fund_id, "scoring-jobs"),
                json={"profile": profile},
                headers=headers,
            )
            return JobProgress.of(body)

    @calls.tool(server, title="Progress of a job", role=Role.VIEWER, read_only=True)
    async def get_job_progress(
        job_id: Annotated[uuid.UUID, Field(description="The job's id")],
    ) -> JobProgress:
        """A background job's state and counts: a fund's scoring (counting companies), an
        assessment's justifications (dimensions) or a memo (GET /api/v2/jobs/{id})."""
        async with calls.calling() as api:
            return JobProgress.of(await api.get(api.v2("jobs", job_id)))

    # ------------------------------------------------------- evidence and value

    @calls.tool(server, title="Evidence about a company", role=Role.VIEWER, read_only=True)
    async def get_company_evidence(
        company_id: CompanyId,
        dimension: Annotated[
            str | None, Field(description="Only evidence for this dimension")
        ] = None,
        query: Annotated[str | None, Field(description="Full-text search, ranked")] = None,
        limit: Annotated[int, Field(description="How many, best first")] = 10,
    ) -> EvidenceResults:
        """The company's evidence, ranked by relevance
        (GET /api/v2/companies/{id}/evidence)."""
        async with calls.calling() as api:
            body = await api.get(
                api.v2("companies", company_id, "evidence"),
                {"dimension": dimension, "q": query, "limit": limit},
            )
            return EvidenceResults.of(company_id, body)

    @calls.tool(server, title="Justify the dimension scores", role=Role.ANALYST, read_only=False)
    async def generate_justification(assessment_id: AssessmentId) -> JobProgress:
        """Start a background job that writes, per dimension, a justification of its score
        from the company's top-ranked evidence, citing evidence ids (POST
        /api/v2/assessments/{id}/justifications; LLM calls within the platform's daily
        budget). Follow it with get_job_progress, then read get_justifications."""
        async with calls.calling() as api:
            body = await api.call("POST", api.v2("assessments", assessment_id, "justifications"))
            return JobProgress.of(body)

    @calls.tool(server, title="Justifications of an assessment", role=Role.VIEWER, read_only=True)
    async def get_justifications(
        assessment_id: AssessmentId,
        job_id: Annotated[uuid.UUID | None, Field(description="Only this job's")] = None,
    ) -> Justifications:
        """The latest justification of each dimension score, with its citations, or why
        there is none (GET /api/v2/assessments/{id}/justifications)."""
        async with calls.calling() as api:
            body = await api.get(
                api.v2("assessments", assessment_id, "justifications"),
                {"job_id": str(job_id) if job_id else None},
            )
            return Justifications.model_validate(body)

    @calls.tool(
        server,
        title="Project the EBITDA impact",
        role=Role.ANALYST,
        read_only=False,
        idempotent=True,
    )
    async def project_ebitda_impact(
        entry_score: Annotated[float, Field(description="Org-AI-R at entry, 0..100")],
        target_score: Annotated[float, Field(description="Target Org-AI-R, at least the entry")],
        h_r_score: Annotated[float, Field(description="H^R (market position), 0..100")],
        profile: Profile = None,
    ) -> EbitdaProjection:
        """The EBITDA uplift (percentage points; conservative, base, optimistic and
        risk-adjusted) of moving Org-AI-R from entry to target, and whether it would need
        review; nothing is stored (POST /api/v2/scoring/ebitda-preview). A company's
        current entry score and H^R are in get_company_scores."""
        async with calls.calling() as api:
            body = await api.call(
                "POST",
                api.v2("scoring", "ebitda-preview"),
                json={
                    "entry_score": entry_score,
                    "target_score": target_score,
                    "h_r_score": h_r_score,
                    "profile": profile,
                },
            )
            return EbitdaProjection.model_validate(body)

    @calls.tool(
        server, title="Gap analysis and improvement plan", role=Role.ANALYST, read_only=False
    )
    async def run_gap_analysis(
        company_id: CompanyId,
        target_org_air: Annotated[float, Field(description="The Org-AI-R to reach, 0..100")],
        profile: Profile = None,
    ) -> GapAnalysis:
        """The least-cost plan of dimension improvements that reaches the target Org-AI-R
        from the company's current approved score (re-scored by the engine; when the target
        is out of reach, the plan to the highest reachable score, `reachable` false), its
        investment and EBITDA projection; stored, and held for a reviewer when the
        projection is large (POST /api/v2/companies/{id}/value-creation-plans)."""
        async with calls.calling() as api:
            body = await api.call(
                "POST",
                api.v2("companies", company_id, "value-creation-plans"),
                json={"target_org_air": target_org_air, "profile": profile},
            )
            return GapAnalysis.model_validate(body)
