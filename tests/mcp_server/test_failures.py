"""When an MCP call cannot be answered: no key, a spent rate limit, scoring stopped.

Each case is a real gateway (and for the outage a real scoring API, stopped mid-test)
on loopback, driven by the official SDK client. The rule under test is the issue's:
a failure is an error the assistant can read, carrying what the platform said, and
never an answer made up in its place.
"""

from __future__ import annotations

import re

import httpx
import pytest
from mcp import MCPError
from mcp.types import CallToolResult

from orgair_auth import Role
from orgair_gateway.mcp.messages import RATE_LIMITED_CODE
from tests.gateway.support import ThreadedServer, serving
from tests.mcp_server.conftest import McpStack, mcp_session, text_of


def metric(gateway_url: str, admin_key: str, name: str, **labels: str) -> float:
    body = httpx.get(
        f"{gateway_url}/metrics", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    ).text
    total = 0.0
    for line in body.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_without_a_key_the_endpoint_answers_a_401_problem(mcp_stack: McpStack) -> None:
    response = httpx.post(
        mcp_stack.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_sdk_client_cannot_connect_with_an_unknown_key(mcp_stack: McpStack) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the SDK reports a refused connection
        async with mcp_session(mcp_stack.mcp_url, "oair_" + "x" * 36) as client:
            await client.list_tools()


async def test_a_spent_rate_limit_is_a_tool_error_and_scoring_is_not_called(
    mcp_stack: McpStack,
) -> None:
    from orgair_gateway.app import create_app

    quota = 4
    settings = mcp_stack.gateway_settings(RATE_LIMIT_PER_MINUTE=quota)
    # A key of its own: the budget starts full.
    admin = mcp_stack.keys[Role.ADMIN]
    with serving(create_app(settings)) as gateway, mcp_stack.rest(Role.ADMIN) as api:
        issued = api.post("/admin/keys", json={"name": "mcp limited", "role": "viewer"})
        assert issued.status_code == 201, issued.text
        key = issued.json()["key"]
        before = metric(
            gateway.url, admin, "mcp_tool_calls_total", tool="list_funds", status="rate_limited"
        )
        results: list[CallToolResult] = []
        async with mcp_session(f"{gateway.url}/mcp", key) as client:
            for _ in range(quota + 1):
                results.append(await client.call_tool("list_funds", {}))
            with pytest.raises(MCPError) as listing:
                await client.list_tools()
        after = metric(
            gateway.url, admin, "mcp_tool_calls_total", tool="list_funds", status="rate_limited"
        )

    answered = [result for result in results if not result.is_error]
    refused = [result for result in results if result.is_error]
    # The connection's own requests count too: every HTTP request is one hit.
    assert answered and refused
    assert results[: len(answered)] == answered  # refusals only once the budget is spent
    for result in refused:
        assert result.structured_content is None
        assert (
            f"Too Many Requests: This API key may make {quota} requests per 60 s; retry after"
            in text_of(result)
        )
    assert listing.value.error.code == RATE_LIMITED_CODE
    assert listing.value.error.message.startswith("Too Many Requests: ")
    assert after - before == len(refused)


async def test_scoring_stopped_is_an_error_never_an_answer(mcp_stack: McpStack) -> None:
    from orgair_gateway.app import create_app as create_gateway
    from orgair_scoring_api.app import create_app as create_scoring

    admin = mcp_stack.keys[Role.ADMIN]
    scoring = ThreadedServer(create_scoring(mcp_stack.settings)).start()
    try:
        settings = mcp_stack.gateway_settings(SCORING_URL=scoring.url)
        with serving(create_gateway(settings)) as gateway:
            async with mcp_session(f"{gateway.url}/mcp", mcp_stack.keys[Role.VIEWER]) as client:
                fund_id = mcp_stack.portfolio.fund_id
                live = await client.call_tool("get_portfolio_summary", {"fund_id": fund_id})
                assert not live.is_error, text_of(live)

                scoring.stop()
                before = metric(
                    gateway.url,
                    admin,
                    "mcp_tool_calls_total",
                    tool="get_portfolio_summary",
                    status="unavailable",
                )
                down = await client.call_tool("get_portfolio_summary", {"fund_id": fund_id})
                with pytest.raises(MCPError) as resource:
                    await client.read_resource("orgair://sectors")
                # The tools are still listed and described: listing needs no scoring.
                listed = await client.list_tools()
            after = metric(
                gateway.url,
                admin,
                "mcp_tool_calls_total",
                tool="get_portfolio_summary",
                status="unavailable",
            )
    finally:
        scoring.stop()

    assert down.is_error
    assert down.structured_content is None
    assert "Bad Gateway: The scoring API is unreachable." in text_of(down)
    assert "fund_air" not in text_of(down)
    assert "Bad Gateway" in resource.value.error.message
    assert "get_portfolio_summary" in {tool.name for tool in listed.tools}
    assert after - before == 1
