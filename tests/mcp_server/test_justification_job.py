"""`generate_justification` end to end: an assistant starts the job over Streamable HTTP,
a real Celery worker process asks the (fake, loopback) OpenAI-compatible provider
through the real SDK, and the assistant follows the job and reads justifications that
cite the company's evidence.

This module's stack has LLM keys and the fakes' addresses (scoring refuses the job
without them: test_value_and_evidence_tools.py), so it builds its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from orgair_auth import Role
from tests.llm.conftest import ANTHROPIC_KEY, OPENAI_KEY
from tests.llm.fake_providers import FakeProvider, answer, running_fake
from tests.mcp_server.conftest import McpStack, call, finished_job, mcp_session, ok

MARKER = "FAKE-PROVIDER-ANSWER-3c9e"
ANSWER = {"justification": f"The evidence supports the score [E1]. {MARKER}", "citations": ["E1"]}
NOTES = {
    "data_infrastructure": "Every product's events land in one governed lakehouse with lineage.",
    "ai_governance": "A model risk committee signs off each release against a written policy.",
}
# What scoring's job and justification records carry that the compact results leave out.
REST_ONLY_JOB_FIELDS = {"links", "created_by", "idempotency_key", "parameters_hash", "report"}
REST_ONLY_JUSTIFICATION_FIELDS = {"provider", "model", "cost_usd", "llm_call_id", "created_by"}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeProvider, FakeProvider]]:
    with running_fake("openai") as openai, running_fake("anthropic") as anthropic:
        for fake in (openai, anthropic):
            fake.default = answer(payload=ANSWER, input_tokens=900, output_tokens=60)
        yield openai, anthropic


@pytest.fixture(scope="module")
def stack_settings(fakes: tuple[FakeProvider, FakeProvider]) -> dict[str, Any]:
    openai, anthropic = fakes
    return {
        "OPENAI_API_KEY": OPENAI_KEY,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "ANTHROPIC_BASE_URL": anthropic.base_url,
        "LLM_MAX_RETRIES": 0,
        "LLM_REQUEST_TIMEOUT_SECONDS": 10,
        "DAILY_COST_BUDGET_USD": 5,
    }


@pytest.fixture(scope="module")
def evidence(mcp_stack: McpStack) -> dict[str, str]:
    """One note per dimension about the scored company, through the REST API: id by dimension."""
    company = mcp_stack.portfolio.scored_company_id
    ids: dict[str, str] = {}
    with mcp_stack.rest(Role.ANALYST) as api:
        for dimension, text in NOTES.items():
            response = api.post(
                f"/api/v2/companies/{company}/evidence",
                json={"kind": "note", "title": f"On {dimension}", "dimensions": [dimension],
                      "text": text, "source": "management interview"},
            )  # fmt: skip
            assert response.status_code == 201, response.text
            ids[dimension] = response.json()["id"]
    return ids


async def test_an_assistant_starts_justifications_and_reads_them_citing_the_evidence(
    job_worker: McpStack, evidence: dict[str, str], fakes: tuple[FakeProvider, FakeProvider]
) -> None:
    stack = job_worker
    openai, anthropic = fakes
    assessment = stack.portfolio.scored_assessment_id

    started_result = await call(
        stack, Role.ANALYST, "generate_justification", assessment_id=assessment
    )
    started = ok(started_result)
    with stack.rest(Role.VIEWER) as api:
        job = api.get(f"/api/v2/jobs/{started['id']}").json()
    assert (
        (started["kind"], started["assessment_id"], started["company_id"])
        == (
            "justifications",
            assessment,
            stack.portfolio.scored_company_id,
        )
        == (job["kind"], job["assessment_id"], job["company_id"])
    )
    assert started["state"] in {"queued", "running", "succeeded"}
    assert started["total"] == 7  # every scored dimension

    # Typed and compact: exactly the declared output schema, smaller than scoring's record.
    async with mcp_session(stack.mcp_url, stack.keys[Role.ANALYST]) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    schema = tools["generate_justification"].output_schema
    assert schema is not None
    assert set(started) == set(schema["properties"])
    assert {"id", "kind", "state", "total", "done"} <= set(schema["required"])
    assert schema["properties"]["id"]["format"] == "uuid"
    assert not REST_ONLY_JOB_FIELDS & set(started)
    assert len(json.dumps(started)) < len(json.dumps(job))

    progress = await finished_job(stack, started["id"])
    assert progress["state"] == "succeeded", progress
    # Two dimensions have evidence; the other five are reported without asking a model.
    assert (progress["done"], progress["scored"], progress["failed"]) == (7, 2, 5)

    found = ok(
        await call(
            stack, Role.VIEWER, "get_justifications", assessment_id=assessment,
            job_id=started["id"],
        )
    )  # fmt: skip
    assert found["job_id"] == started["id"]
    items = {item["dimension"]: item for item in found["items"]}
    assert {name for name, item in items.items() if item["status"] == "justified"} == set(NOTES)
    assert {item["status"] for name, item in items.items() if name not in NOTES} == {"no_evidence"}
    for dimension, text in NOTES.items():
        justified = items[dimension]
        assert justified["text"] == ANSWER["justification"]
        assert justified["score"] == 72
        (cited,) = justified["citations"]
        assert (cited["label"], cited["evidence_id"]) == ("E1", evidence[dimension])
        assert cited["excerpt"] == text
    for item in found["items"]:
        assert not REST_ONLY_JUSTIFICATION_FIELDS & set(item)
    with stack.rest(Role.VIEWER) as api:
        rest = api.get(
            f"/api/v2/assessments/{assessment}/justifications", params={"job_id": started["id"]}
        ).json()
    assert [(i["dimension"], i["status"], i["text"]) for i in rest["items"]] == [
        (i["dimension"], i["status"], i["text"]) for i in found["items"]
    ]

    # The provider was asked once per dimension with evidence, with the platform's key,
    # and saw that dimension's evidence; its fallback was never needed.
    assert (openai.calls, anthropic.calls) == (2, 0)
    prompts = [request.body["messages"][-1]["content"] for request in openai.requests]
    for text in NOTES.values():
        assert sum(text in prompt for prompt in prompts) == 1, text
    for request in openai.requests:
        assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
