"""The MCP endpoint over real Streamable HTTP, driven by the official SDK client: what each
role is offered, every tool's answer against the real scoring API, the API's refusals as
tool errors, the resources and the prompts.

Every expected number is read from the REST API through the same gateway: a tool's
result must be scoring's answer, projected, never something the MCP layer computed.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from mcp import MCPError
from mcp.types import TextContent, TextResourceContents

from orgair_auth import Role
from tests.mcp_server.conftest import McpStack, call, finished_job, mcp_session, ok, text_of

# The tools whose endpoints exist on scoring today, and the least role each needs
# (what the REST API enforces for the endpoint behind it).
TOOL_ROLES = {
    "list_companies": Role.VIEWER,
    "list_funds": Role.VIEWER,
    "get_portfolio_summary": Role.VIEWER,
    "get_company_scores": Role.VIEWER,
    "get_assessment": Role.VIEWER,
    "list_review_queue": Role.VIEWER,
    "get_job_progress": Role.VIEWER,
    "get_company_evidence": Role.VIEWER,
    "get_justifications": Role.VIEWER,
    "calculate_org_air_score": Role.ANALYST,
    "preview_org_air_score": Role.ANALYST,
    "start_fund_scoring_job": Role.ANALYST,
    "generate_justification": Role.ANALYST,
    "project_ebitda_impact": Role.ANALYST,
    "run_gap_analysis": Role.ANALYST,
    "decide_review": Role.REVIEWER,
}


# ------------------------------------------------------------------------ listing


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_is_offered_exactly_the_tools_it_may_call(
    mcp_stack: McpStack, role: Role
) -> None:
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[role]) as client:
        listed = (await client.list_tools()).tools

    assert {tool.name for tool in listed} == {
        name for name, required in TOOL_ROLES.items() if role.grants(required)
    }
    for tool in listed:
        assert tool.meta is not None
        assert tool.meta["orgair/required_role"] == TOOL_ROLES[tool.name].value
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (TOOL_ROLES[tool.name] is Role.VIEWER)


async def test_tool_schemas_are_typed_inputs_and_outputs(mcp_stack: McpStack) -> None:
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.ADMIN]) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    score = tools["calculate_org_air_score"]
    assert score.input_schema["type"] == "object"
    assert score.input_schema["required"] == ["assessment_id"]
    assert score.input_schema["properties"]["assessment_id"]["format"] == "uuid"
    assert score.output_schema is not None
    assert {"org_air", "vr", "hr", "synergy", "org_air_ci", "review_status"} <= set(
        score.output_schema["required"]
    )
    decide = tools["decide_review"]
    assert decide.input_schema["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert set(decide.input_schema["required"]) == {"review_id", "decision"}
    preview = tools["preview_org_air_score"]
    inputs = preview.input_schema["$defs"]["PreviewInputs"]
    assert set(inputs["required"]) == {
        "sector",
        "dimensions",
        "talent_concentration",
        "market_cap_percentile",
        "evidence_count",
    }
    assert inputs["additionalProperties"] is False
    # Every tool says which endpoint it calls and answers with a schema.
    for tool in tools.values():
        assert "/api/v" in (tool.description or ""), tool.name
        assert tool.output_schema is not None, tool.name


async def test_bad_arguments_are_a_tool_error_before_any_call(mcp_stack: McpStack) -> None:
    result = await call(mcp_stack, Role.VIEWER, "get_company_scores", company_id="not-a-uuid")
    assert result.is_error
    assert "company_id" in text_of(result)


# ---------------------------------------------------------------------- portfolio


async def test_list_and_find_companies(mcp_stack: McpStack) -> None:
    everything = ok(await call(mcp_stack, Role.VIEWER, "list_companies"))
    assert everything["total"] == 4
    assert {c["name"] for c in everything["items"]} == set(mcp_stack.portfolio.company_ids)

    by_ticker = ok(await call(mcp_stack, Role.VIEWER, "list_companies", search="cblt"))
    assert [c["name"] for c in by_ticker["items"]] == ["Cobalt Systems"]
    by_name = ok(await call(mcp_stack, Role.VIEWER, "list_companies", search="ALYTICS"))
    assert [c["name"] for c in by_name["items"]] == ["Beacon Analytics"]
    # LIKE wildcards are text, not patterns.
    assert ok(await call(mcp_stack, Role.VIEWER, "list_companies", search="%"))["total"] == 0

    paged = ok(await call(mcp_stack, Role.VIEWER, "list_companies", page=2, page_size=3))
    assert (paged["page"], paged["total_pages"], len(paged["items"])) == (2, 2, 1)


async def test_a_page_size_the_api_refuses_is_its_problem(mcp_stack: McpStack) -> None:
    result = await call(mcp_stack, Role.VIEWER, "list_companies", page_size=1000)
    assert result.is_error
    with mcp_stack.rest(Role.VIEWER) as api:
        problem = api.get("/api/v1/companies", params={"page_size": 1000}).json()
    assert f"{problem['title']}: " in text_of(result)
    assert "page_size" in text_of(result)


async def test_list_funds_and_the_portfolio_summary(mcp_stack: McpStack) -> None:
    funds = ok(await call(mcp_stack, Role.VIEWER, "list_funds"))
    assert [(f["name"], f["member_count"]) for f in funds["items"]] == [("Growth Fund I", 4)]

    fund_id = mcp_stack.portfolio.fund_id
    summary = ok(await call(mcp_stack, Role.VIEWER, "get_portfolio_summary", fund_id=fund_id))
    with mcp_stack.rest(Role.VIEWER) as api:
        expected = api.get(f"/api/v2/funds/{fund_id}/summary").json()
    assert summary["fund_air"] == expected["fund_air"]
    assert summary["scored_count"] == expected["scored_count"]
    assert summary["leaders"] == expected["leaders"][:10]
    assert summary["leaders_total"] == len(expected["leaders"])
    assert summary["sector_hhi"] == expected["sector_hhi"]
    assert "members" not in summary  # compact: no per-member rows


async def test_an_unknown_fund_is_the_apis_404_as_a_tool_error(mcp_stack: McpStack) -> None:
    missing = uuid.uuid4()
    result = await call(mcp_stack, Role.VIEWER, "get_portfolio_summary", fund_id=str(missing))
    assert result.is_error and result.structured_content is None
    with mcp_stack.rest(Role.VIEWER) as api:
        problem = api.get(f"/api/v2/funds/{missing}/summary").json()
    assert problem["status"] == 404
    assert f"{problem['title']}: {problem['detail']}" in text_of(result)


# ------------------------------------------------------------------------- scores


async def test_company_scores_and_assessment(mcp_stack: McpStack) -> None:
    company = mcp_stack.portfolio.scored_company_id
    scores = ok(await call(mcp_stack, Role.VIEWER, "get_company_scores", company_id=company))
    with mcp_stack.rest(Role.VIEWER) as api:
        expected = api.get(f"/api/v2/companies/{company}/scores").json()
        assessment_id = expected["current"]["assessment_id"]
        detail = api.get(f"/api/v2/assessments/{assessment_id}").json()
    assert scores["current"]["org_air"] == expected["current"]["org_air"]
    assert scores["current"]["org_air_ci"] == expected["current"]["org_air_ci"]
    assert scores["trend"] == expected["trend"]
    assert scores["history_total"] == len(expected["history"])
    assert "breakdown" not in scores["current"]

    assessment = ok(
        await call(mcp_stack, Role.VIEWER, "get_assessment", assessment_id=assessment_id)
    )
    assert assessment["status"] == detail["status"] == "approved"
    assert {d["dimension"]: d["score"] for d in assessment["dimension_scores"]} == {
        d["dimension"]: d["score"] for d in detail["dimension_scores"]
    }
    assert [s["id"] for s in assessment["scores"]] == [s["id"] for s in detail["scores"]]


async def test_calculate_stores_a_score_only_for_a_role_that_may(mcp_stack: McpStack) -> None:
    assessment_id = mcp_stack.portfolio.submitted_assessment_id
    refused = await call(
        mcp_stack, Role.VIEWER, "calculate_org_air_score", assessment_id=assessment_id
    )
    assert refused.is_error
    assert "Forbidden: This operation needs the analyst role; the API key has viewer." in text_of(
        refused
    )
    with mcp_stack.rest(Role.VIEWER) as api:
        assert api.get(f"/api/v2/assessments/{assessment_id}").json()["scores"] == []

    scored = ok(
        await call(mcp_stack, Role.ANALYST, "calculate_org_air_score", assessment_id=assessment_id)
    )
    with mcp_stack.rest(Role.VIEWER) as api:
        [stored] = api.get(f"/api/v2/assessments/{assessment_id}").json()["scores"]
    assert scored["id"] == stored["id"]
    assert scored["org_air"] == stored["org_air"]
    assert scored["review_status"] == stored["review_status"]
    assert scored["parameters_version"] == stored["parameters_version"]


async def test_calculate_with_an_unknown_profile_is_the_apis_422(mcp_stack: McpStack) -> None:
    result = await call(
        mcp_stack,
        Role.ANALYST,
        "calculate_org_air_score",
        assessment_id=mcp_stack.portfolio.submitted_assessment_id,
        profile="v9.9",
    )
    assert result.is_error
    assert "v9.9" in text_of(result)


async def test_preview_is_scorings_what_if_and_stores_nothing(mcp_stack: McpStack) -> None:
    inputs: dict[str, Any] = {
        "sector": "technology",
        "dimensions": {
            d: 70.0
            for d in (
                "data_infrastructure",
                "ai_governance",
                "technology_stack",
                "talent_skills",
                "leadership_vision",
                "use_case_portfolio",
                "culture_change",
            )
        },
        "talent_concentration": 0.3,
        "market_cap_percentile": 0.6,
        "evidence_count": 5,
    }
    preview = ok(await call(mcp_stack, Role.ANALYST, "preview_org_air_score", inputs=inputs))
    with mcp_stack.rest(Role.ANALYST) as api:
        expected = api.post("/api/v2/scoring/preview", json={"inputs": inputs}).json()
    assert preview["org_air"] == expected["org_air"]
    assert preview["ci"]["org_air"] == expected["ci"]["org_air"]
    assert preview["parameters_version"] == expected["parameters_version"]

    out_of_range = {**inputs, "dimensions": {**inputs["dimensions"], "ai_governance": 130}}
    refused = await call(mcp_stack, Role.ANALYST, "preview_org_air_score", inputs=out_of_range)
    assert refused.is_error
    assert "ai_governance" in text_of(refused)


# ------------------------------------------------------------------------ reviews


async def test_review_queue_and_a_reviewers_decision(mcp_stack: McpStack) -> None:
    pending = mcp_stack.portfolio.pending_score_id
    queue = ok(await call(mcp_stack, Role.VIEWER, "list_review_queue"))
    assert pending in [item["id"] for item in queue["items"]]

    not_a_reviewer = await call(
        mcp_stack, Role.ANALYST, "decide_review", review_id=pending, decision="approve"
    )
    assert not_a_reviewer.is_error
    assert "needs the reviewer role; the API key has analyst" in text_of(not_a_reviewer)
    no_comment = await call(
        mcp_stack, Role.REVIEWER, "decide_review", review_id=pending, decision="reject"
    )
    assert no_comment.is_error
    assert "comment" in text_of(no_comment)

    decided = ok(
        await call(
            mcp_stack,
            Role.REVIEWER,
            "decide_review",
            review_id=pending,
            decision="approve",
            comment="Evidence reviewed on site.",
        )
    )
    assert decided["item"]["review_status"] == "approved"
    assert decided["item"]["review"]["comment"] == "Evidence reviewed on site."
    with mcp_stack.rest(Role.VIEWER) as api:
        company = decided["item"]["company_id"]
        current = api.get(f"/api/v2/companies/{company}/scores").json()["current"]
    assert current["id"] == pending

    again = await call(
        mcp_stack, Role.REVIEWER, "decide_review", review_id=pending, decision="approve"
    )
    assert again.is_error  # decisions are final: scoring's 409
    assert "Conflict" in text_of(again)


# --------------------------------------------------------------------------- jobs


async def test_a_fund_job_started_and_followed_to_the_end(job_worker: McpStack) -> None:
    stack = job_worker
    fund_id = stack.portfolio.fund_id
    started = ok(
        await call(
            stack,
            Role.ANALYST,
            "start_fund_scoring_job",
            fund_id=fund_id,
            idempotency_key="mcp-job-1",
        )
    )
    assert started["state"] in {"queued", "running", "succeeded"}
    assert started["total"] == 4
    replayed = ok(
        await call(
            stack,
            Role.ANALYST,
            "start_fund_scoring_job",
            fund_id=fund_id,
            idempotency_key="mcp-job-1",
        )
    )
    assert replayed["id"] == started["id"]

    progress = await finished_job(stack, started["id"])
    with stack.rest(Role.VIEWER) as api:
        expected = api.get(f"/api/v2/jobs/{started['id']}").json()
    assert progress["state"] == expected["state"] == "succeeded"
    assert (progress["done"], progress["scored"], progress["failed"]) == (
        expected["done"],
        expected["scored"],
        expected["failed"],
    )
    assert progress["report_ready"] is True
    # The member without a submitted assessment failed with scoring's reason.
    assert {e["code"] for e in progress["errors"]} == {e["code"] for e in expected["errors"]}

    viewer = await call(stack, Role.VIEWER, "start_fund_scoring_job", fund_id=fund_id)
    assert viewer.is_error and "needs the analyst role" in text_of(viewer)


# ------------------------------------------------------------ resources, prompts


async def test_resources_are_the_apis_reference_data(mcp_stack: McpStack) -> None:
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.VIEWER]) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = {
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        }
        sectors = (await client.read_resource("orgair://sectors")).contents
        profile = (await client.read_resource("orgair://parameters/v2.0")).contents
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("orgair://parameters/v7.7")

    assert listed == {"orgair://sectors"}
    assert templates == {"orgair://parameters/{version}"}
    with mcp_stack.rest(Role.VIEWER) as api:
        industries = api.get("/api/v1/industries").json()
        v2 = api.get("/api/v2/parameters/v2.0").json()
    [sectors_text] = sectors
    assert isinstance(sectors_text, TextResourceContents)
    assert sectors_text.mime_type == "application/json"
    import json

    assert json.loads(sectors_text.text) == industries
    [profile_text] = profile
    assert isinstance(profile_text, TextResourceContents)
    assert json.loads(profile_text.text) == v2
    assert unknown.value.error.code == -32602  # the spec's "resource not found"
    assert "v7.7" in unknown.value.error.message


async def test_prompts_name_the_tools_and_carry_their_arguments(mcp_stack: McpStack) -> None:
    company = mcp_stack.portfolio.scored_company_id
    fund = mcp_stack.portfolio.fund_id
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.VIEWER]) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        diligence = await client.get_prompt(
            "due_diligence_assessment", {"company_id": company, "target_org_air": "80"}
        )
        briefing = await client.get_prompt("ic_meeting_prep", {"fund_id": fund})
        with pytest.raises(MCPError):
            await client.get_prompt("ic_meeting_prep", {})

    assert set(prompts) == {"due_diligence_assessment", "ic_meeting_prep"}
    assert [a.name for a in prompts["ic_meeting_prep"].arguments or []] == ["fund_id", "company_id"]
    [message] = diligence.messages
    assert isinstance(message.content, TextContent)
    text = message.content.text
    assert company in text and "target_org_air=80" in text
    for tool in (
        "get_company_scores",
        "get_assessment",
        "get_company_evidence",
        "run_gap_analysis",
        "project_ebitda_impact",
    ):
        assert tool in text
    [message] = briefing.messages
    assert isinstance(message.content, TextContent)
    assert fund in message.content.text and "get_portfolio_summary" in message.content.text
