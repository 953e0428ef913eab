"""The evidence, justification and value-creation tools against scoring's real endpoints:
evidence search, the EBITDA projection (DESIGN.md §5's worked examples), a gap analysis
stored as a plan and decided through the review tools, and justifications (the stack
has no LLM key: the API's 503 must come back as the tool's error, and nothing is made up).
"""

from __future__ import annotations

import pytest

from orgair_auth import Role
from tests.mcp_server.conftest import McpStack, call, ok, text_of


@pytest.fixture(scope="module")
def evidence(mcp_stack: McpStack) -> dict[str, str]:
    """Three notes about one company, added through the REST API."""
    company = mcp_stack.portfolio.company_ids["Delta Foundry"]
    notes = {
        "lake": ("Data lake migration", ["data_infrastructure"],
                 "The plant moved every sensor feed into a governed data lake in 2025."),
        "council": ("AI council charter", ["ai_governance", "leadership_vision"],
                    "A board-level AI council reviews every model before deployment."),
        "hiring": ("Hiring plan", ["talent_skills"],
                   "Twelve machine learning engineers hired; attrition under five percent."),
    }  # fmt: skip
    ids: dict[str, str] = {}
    with mcp_stack.rest(Role.ANALYST) as api:
        for name, (title, dimensions, text) in notes.items():
            response = api.post(
                f"/api/v2/companies/{company}/evidence",
                json={"kind": "note", "title": title, "dimensions": dimensions, "text": text,
                      "source": "site visit"},
            )  # fmt: skip
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
    return {"company": company, **ids}


async def test_evidence_search_is_scorings_ranking(
    mcp_stack: McpStack, evidence: dict[str, str]
) -> None:
    company = evidence["company"]
    found = ok(
        await call(
            mcp_stack, Role.VIEWER, "get_company_evidence", company_id=company, query="data lake"
        )
    )
    with mcp_stack.rest(Role.VIEWER) as api:
        expected = api.get(
            f"/api/v2/companies/{company}/evidence", params={"q": "data lake", "limit": 10}
        ).json()
    assert [item["id"] for item in found["items"]] == [item["id"] for item in expected["items"]]
    assert found["items"][0]["id"] == evidence["lake"]
    assert "governed data lake" in (found["items"][0]["excerpt"] or "")
    assert found["items"][0]["relevance"] == expected["items"][0]["match"]["relevance"]
    assert found["query"] == "data lake"
    assert found["total"] == expected["total"] >= len(found["items"])

    governance = ok(
        await call(
            mcp_stack, Role.VIEWER, "get_company_evidence",
            company_id=company, dimension="ai_governance",
        )
    )  # fmt: skip
    assert [item["id"] for item in governance["items"]] == [evidence["council"]]
    assert governance["items"][0]["excerpt"] is None  # no search, no passage

    unknown = await call(
        mcp_stack, Role.VIEWER, "get_company_evidence", company_id=company, dimension="luck"
    )
    assert unknown.is_error
    assert "dimension" in text_of(unknown)


async def test_ebitda_projection_is_the_worked_example(mcp_stack: McpStack) -> None:
    # DESIGN.md §5: E 45, T 75, H^R 80 -> delta 30, base 0.0025*900 + 0.05*30 + 0.025*30*0.8
    # = 2.25 + 1.5 + 0.6 = 4.35, conservative 0.7x = 3.045, optimistic 1.4x = 6.09, no review.
    projection = ok(
        await call(
            mcp_stack, Role.ANALYST, "project_ebitda_impact",
            entry_score=45, target_score=75, h_r_score=80,
        )
    )  # fmt: skip
    assert projection["delta"] == pytest.approx(30)
    assert projection["base"] == pytest.approx(4.35)
    assert projection["conservative"] == pytest.approx(3.045)
    assert projection["optimistic"] == pytest.approx(6.09)
    assert projection["risk_adjusted"] == pytest.approx(4.35)
    assert projection["requires_review"] is False
    # E 30, T 90, H^R 40 -> base 9 + 3 + 0.6 = 12.6; risk factor 1 - 0.01*10 = 0.9 -> 11.34.
    risky = ok(
        await call(
            mcp_stack, Role.ANALYST, "project_ebitda_impact",
            entry_score=30, target_score=90, h_r_score=40,
        )
    )  # fmt: skip
    assert risky["risk_adjusted"] == pytest.approx(11.34)
    assert risky["requires_review"] is True

    backwards = await call(
        mcp_stack, Role.ANALYST, "project_ebitda_impact",
        entry_score=75, target_score=45, h_r_score=80,
    )  # fmt: skip
    assert backwards.is_error and "target_score" in text_of(backwards)
    viewer = await call(
        mcp_stack, Role.VIEWER, "project_ebitda_impact",
        entry_score=45, target_score=75, h_r_score=80,
    )  # fmt: skip
    assert viewer.is_error and "needs the analyst role" in text_of(viewer)


@pytest.fixture(scope="module")
def low_scorer(mcp_stack: McpStack) -> str:
    """Acme, whose held score (all dimensions 20) a reviewer approved through the API."""
    with mcp_stack.rest(Role.REVIEWER) as api:
        response = api.post(
            f"/api/v2/reviews/{mcp_stack.portfolio.pending_score_id}/decision",
            json={"decision": "approve", "comment": "Low, but what the evidence says."},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["company_id"])


async def test_gap_analysis_is_stored_and_decided_through_the_review_tools(
    mcp_stack: McpStack, low_scorer: str
) -> None:
    company = low_scorer
    with mcp_stack.rest(Role.VIEWER) as api:
        current = api.get(f"/api/v2/companies/{company}/scores").json()["current"]
    # A large step from a low score: the projection crosses the review threshold (10 pp).
    target = 90.0
    plan = ok(
        await call(
            mcp_stack, Role.ANALYST, "run_gap_analysis", company_id=company, target_org_air=target
        )
    )
    with mcp_stack.rest(Role.VIEWER) as api:
        stored = api.get(f"/api/v2/value-creation-plans/{plan['id']}").json()
    assert plan["kind"] == "value_creation_plan"
    assert plan["entry_org_air"] == stored["entry_org_air"] == current["org_air"]
    assert plan["projected_org_air"] == stored["projected_org_air"]
    assert plan["reachable"] is stored["reachable"]
    assert plan["investment_usd"] == stored["investment_usd"]
    assert plan["dimensions"] == stored["dimensions"]
    assert plan["ebitda"]["risk_adjusted"] == stored["ebitda"]["risk_adjusted"]
    assert plan["review_status"] == stored["review_status"]
    assert "inputs" not in plan

    below = await call(
        mcp_stack, Role.ANALYST, "run_gap_analysis",
        company_id=company, target_org_air=current["org_air"] - 10,
    )  # fmt: skip
    assert below.is_error and "target_org_air" in text_of(below)
    unscored = await call(
        mcp_stack, Role.ANALYST, "run_gap_analysis",
        company_id=mcp_stack.portfolio.company_ids["Delta Foundry"], target_org_air=80,
    )  # fmt: skip
    assert unscored.is_error

    if plan["review_status"] != "pending_review":
        pytest.fail(f"expected a plan held for review, got {plan['review_status']}: {plan}")
    queue = ok(await call(mcp_stack, Role.VIEWER, "list_review_queue", kind="value_creation_plan"))
    assert [item["id"] for item in queue["items"]] == [plan["id"]]
    assert queue["items"][0]["kind"] == "value_creation_plan"
    decided = ok(
        await call(
            mcp_stack, Role.REVIEWER, "decide_review",
            review_id=plan["id"], decision="reject", comment="Target not credible this year.",
        )
    )  # fmt: skip
    assert decided["item"]["kind"] == "value_creation_plan"
    assert decided["item"]["review_status"] == "rejected"
    assert decided["item"]["review"]["comment"] == "Target not credible this year."


async def test_justifications_without_an_llm_key_are_the_apis_503(mcp_stack: McpStack) -> None:
    assessment = mcp_stack.portfolio.submitted_assessment_id
    refused = await call(
        mcp_stack, Role.ANALYST, "generate_justification", assessment_id=assessment
    )
    with mcp_stack.rest(Role.ANALYST) as api:
        problem = api.post(f"/api/v2/assessments/{assessment}/justifications").json()
    assert problem["status"] == 503
    assert refused.is_error and refused.structured_content is None
    assert f"{problem['title']}: " in text_of(refused)
    assert "OPENAI_API_KEY" in text_of(refused) or "ANTHROPIC_API_KEY" in text_of(refused)

    none_yet = ok(
        await call(mcp_stack, Role.VIEWER, "get_justifications", assessment_id=assessment)
    )
    assert none_yet == {"assessment_id": assessment, "job_id": None, "items": []}
    viewer = await call(mcp_stack, Role.VIEWER, "generate_justification", assessment_id=assessment)
    assert viewer.is_error and "needs the analyst role" in text_of(viewer)
