"""`orgair mcp` as a desktop assistant runs it: a subprocess on stdio, started by the
official SDK's stdio client with only the environment a host passes (ORGAIR_API_KEY,
ORGAIR_GATEWAY_URL), relaying to the real gateway's /mcp."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.types import TextContent

from orgair_auth import Role
from tests.mcp_server.conftest import McpStack, mcp_session
from tests.support.servers import free_port

COMMAND = [sys.executable, "-m", "orgair_cli.main", "mcp"]


@asynccontextmanager
async def desktop(key: str, gateway_url: str) -> AsyncIterator[Client]:
    parameters = StdioServerParameters(
        command=COMMAND[0],
        args=COMMAND[1:],
        env={"ORGAIR_API_KEY": key, "ORGAIR_GATEWAY_URL": gateway_url},
    )
    async with Client(parameters) as client:
        yield client


async def test_the_assistant_gets_what_the_gateway_offers_its_key(mcp_stack: McpStack) -> None:
    key = mcp_stack.keys[Role.ANALYST]
    async with mcp_session(mcp_stack.mcp_url, key) as http:
        over_http = (await http.list_tools()).tools
    async with desktop(key, mcp_stack.gateway.url) as client:
        over_stdio = (await client.list_tools()).tools
        found = await client.call_tool("list_companies", {"search": "beacon"})
        refused = await client.call_tool(
            "decide_review",
            {"review_id": mcp_stack.portfolio.pending_score_id, "decision": "approve"},
        )
        sectors = await client.read_resource("orgair://sectors")
        prompt = await client.get_prompt(
            "ic_meeting_prep", {"fund_id": mcp_stack.portfolio.fund_id}
        )

    assert [(t.name, t.input_schema, t.output_schema) for t in over_stdio] == [
        (t.name, t.input_schema, t.output_schema) for t in over_http
    ]
    assert not found.is_error
    assert found.structured_content is not None
    assert [c["name"] for c in found.structured_content["items"]] == ["Beacon Analytics"]
    assert refused.is_error
    [block] = refused.content
    assert isinstance(block, TextContent)
    assert "Forbidden: This operation needs the reviewer role" in block.text
    assert sectors.contents
    assert prompt.messages


async def test_a_refused_key_and_an_unreachable_gateway_are_errors(mcp_stack: McpStack) -> None:
    async with desktop("oair_" + "0" * 36, mcp_stack.gateway.url) as client:
        refused = await client.call_tool("list_funds", {})
        with pytest.raises(MCPError) as listing:
            await client.list_tools()
    assert refused.is_error
    [block] = refused.content
    assert isinstance(block, TextContent)
    assert "Unauthorized: A valid API key is required" in block.text
    assert "ORGAIR_API_KEY" in block.text
    assert "Unauthorized" in listing.value.error.message

    nowhere = f"http://127.0.0.1:{free_port()}"
    async with desktop(mcp_stack.keys[Role.VIEWER], nowhere) as client:
        down = await client.call_tool("list_funds", {})
    assert down.is_error
    [block] = down.content
    assert isinstance(block, TextContent)
    assert "is unreachable" in block.text
    assert down.structured_content is None


def test_without_a_key_it_says_so_in_one_line() -> None:
    result = subprocess.run(
        COMMAND,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "orgair mcp: set ORGAIR_API_KEY to an API key (orgair keys create ...)"
    ]
