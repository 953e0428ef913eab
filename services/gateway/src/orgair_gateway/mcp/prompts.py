"""The MCP prompts: the two analyst workflows, as instructions that use the tools.

A prompt here fetches nothing and states no number: it tells the assistant which
tools to call in which order and what to report, so every figure in the answer comes
from a tool call the user can see (and that the caller's role allowed).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

__all__ = ["register_prompts"]


def register_prompts(server: MCPServer) -> None:
    @server.prompt(title="Due-diligence assessment of a company")
    def due_diligence_assessment(
        company_id: Annotated[uuid.UUID, Field(description="The company's id")],
        target_org_air: Annotated[
            float | None, Field(description="The Org-AI-R the deal thesis needs, if any")
        ] = None,
    ) -> str:
        """Walk through a company's AI readiness for due diligence, from its evidence and
        scores to the gap to a target and its EBITDA impact."""
        target = (
            f"Then call run_gap_analysis with target_org_air={target_org_air:g} and "
            "project_ebitda_impact for the same target, and explain the plan's priorities."
            if target_org_air is not None
            else "Ask which Org-AI-R the deal thesis needs before any gap analysis."
        )
        return (
            f"Prepare a due-diligence view of the AI readiness of company {company_id}.\n"
            f"1. Call get_company_scores for {company_id}: report the current approved "
            "Org-AI-R with its confidence interval, V^R, H^R and synergy, the trend, and any "
            "score still pending review.\n"
            "2. Call get_assessment for the latest assessment and list the seven dimension "
            "scores, weakest first.\n"
            f"3. Call get_company_evidence for {company_id} for the two weakest dimensions and "
            "quote what the evidence says, citing evidence ids.\n"
            f"4. {target}\n"
            "Use only numbers the tools returned; when a tool fails, say so and what it "
            "answered instead of estimating."
        )

    @server.prompt(title="Investment-committee meeting preparation")
    def ic_meeting_prep(
        fund_id: Annotated[uuid.UUID, Field(description="The fund under discussion")],
        company_id: Annotated[
            uuid.UUID | None, Field(description="A company to go through in depth")
        ] = None,
    ) -> str:
        """Brief an investment committee on a fund's AI readiness and what needs deciding."""
        company = (
            f"4. For company {company_id}: call get_company_scores and run_gap_analysis "
            "(ask for the target first) and summarise the plan, its investment and the "
            "EBITDA projection.\n"
            if company_id is not None
            else ""
        )
        return (
            f"Prepare the investment committee's briefing on fund {fund_id}.\n"
            f"1. Call get_portfolio_summary for {fund_id}: Fund-AI-R, scored and unscored "
            "members, leaders and laggards, and the sector concentration.\n"
            "2. Call list_review_queue and list the pending scores of this fund's members "
            "that the committee should know are not yet approved.\n"
            "3. For the three weakest laggards call get_company_scores and note their trend.\n"
            f"{company}"
            "End with the decisions the committee is asked to take. Use only numbers the "
            "tools returned; when a tool fails, say so instead of estimating."
        )
