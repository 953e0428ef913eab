"""What operators see of MCP calls: one trace from the assistant's span through the
gateway into scoring, the tool metrics on the gateway's /metrics, and the HTTP
layers every gateway request gets (correlation id, rate-limit headers, route label)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from orgair_auth import Role
from orgair_observability import configure_tracing
from tests.mcp_server.conftest import McpStack, mcp_session
from tests.mcp_server.test_failures import metric


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = configure_tracing(
        service="pe-orgair-mcp-tests",
        version="0.0.0",
        environment="development",
        otlp_endpoint=None,
    )
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def parent_of(span: ReadableSpan, spans: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


async def test_one_trace_from_the_assistant_through_the_gateway_into_scoring(
    mcp_stack: McpStack, spans: InMemorySpanExporter
) -> None:
    fund_id = mcp_stack.portfolio.fund_id
    tracer = trace.get_tracer("assistant")
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.VIEWER]) as client:
        with tracer.start_as_current_span("assistant asks for the fund") as assistant:
            result = await client.call_tool("get_portfolio_summary", {"fund_id": fund_id})
    assert not result.is_error

    trace_id = assistant.get_span_context().trace_id
    in_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    [tool] = [s for s in in_trace if s.name == "tools/call get_portfolio_summary"]
    [scoring] = [
        s
        for s in in_trace
        if s.kind == SpanKind.SERVER and s.name == "GET /api/v2/funds/{fund_id}/summary"
    ]
    # assistant -> the SDK client's request -> the gateway's server span -> the MCP tool
    # call -> scoring's server span (and scoring's database spans below it)
    gateway = parent_of(tool, in_trace)
    assert gateway is not None and gateway.name == "POST /mcp"
    assert gateway.kind == SpanKind.SERVER
    sent = parent_of(gateway, in_trace)
    assert sent is not None and sent.kind == SpanKind.CLIENT
    assert parent_of(sent, in_trace) is not None
    assert parent_of(sent, in_trace).name == "assistant asks for the fund"  # type: ignore[union-attr]
    assert parent_of(scoring, in_trace) is tool
    attributes = dict(tool.attributes or {})
    assert attributes["gen_ai.tool.name"] == "get_portfolio_summary"
    assert attributes["mcp.method.name"] == "tools/call"
    assert dict(gateway.attributes or {})["http.route"] == "/mcp"


async def test_a_tool_error_marks_its_span(
    mcp_stack: McpStack, spans: InMemorySpanExporter
) -> None:
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.VIEWER]) as client:
        result = await client.call_tool(
            "calculate_org_air_score",
            {"assessment_id": mcp_stack.portfolio.submitted_assessment_id},
        )
    assert result.is_error
    [tool] = [
        s for s in spans.get_finished_spans() if s.name == "tools/call calculate_org_air_score"
    ]
    assert dict(tool.attributes or {})["error.type"] == "tool_error"
    assert not tool.status.is_ok


async def test_tool_calls_are_counted_and_timed_per_tool_and_outcome(mcp_stack: McpStack) -> None:
    gateway, admin = mcp_stack.gateway.url, mcp_stack.keys[Role.ADMIN]

    def counts() -> tuple[float, float, float]:
        return (
            metric(gateway, admin, "mcp_tool_calls_total", tool="list_funds", status="ok"),
            metric(
                gateway, admin, "mcp_tool_calls_total", tool="decide_review", status="forbidden"
            ),
            metric(gateway, admin, "mcp_tool_duration_seconds_count", tool="list_funds"),
        )

    before = counts()
    async with mcp_session(mcp_stack.mcp_url, mcp_stack.keys[Role.ANALYST]) as client:
        for _ in range(3):
            assert not (await client.call_tool("list_funds", {})).is_error
        refused = await client.call_tool(
            "decide_review",
            {"review_id": mcp_stack.portfolio.pending_score_id, "decision": "approve"},
        )
        assert refused.is_error
    after = counts()
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (3, 1, 3)
    assert metric(gateway, admin, "orgair_http_requests_total", route="/mcp", method="POST") > 0


def test_the_endpoint_gets_the_gateways_http_layers(mcp_stack: McpStack) -> None:
    response = httpx.post(
        mcp_stack.mcp_url,
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}},
        headers={
            "Authorization": f"Bearer {mcp_stack.keys[Role.VIEWER]}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
            "X-Correlation-ID": "mcp-correlation-1",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-correlation-id"] == "mcp-correlation-1"
    assert response.headers["ratelimit-policy"].startswith('"per-key"')
    assert "ratelimit" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    # Stateless: no session for a load balancer to stick to.
    assert "mcp-session-id" not in response.headers
    tools = response.json()["result"]["tools"]
    assert {tool["name"] for tool in tools} >= {"list_funds", "get_portfolio_summary"}
    assert "calculate_org_air_score" not in {tool["name"] for tool in tools}
