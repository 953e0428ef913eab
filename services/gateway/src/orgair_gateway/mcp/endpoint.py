"""The gateway's MCP endpoint: the official SDK's Streamable HTTP server at `/mcp`.

It runs inside the gateway, behind the same pure-ASGI layers as the proxied API (API
key, per-key rate limit shared through Redis, correlation id, metrics, the SERVER
span), because the gateway already owns everything an MCP call must go through —
keys, roles, limits, the signed identity towards scoring and the pooled upstream
client — so an assistant has no way around any of it, and a tool is exactly a REST
call with the caller's key.

Transport choices:
- **stateless** and **JSON responses**: a 2026-07-28 client is sessionless anyway; a
  2025-era client gets no `Mcp-Session-Id` either, so any gateway replica answers any
  request (no sticky sessions) and a response is one JSON body. Nothing here needs the
  server-to-client back-channel that stateless mode gives up.
- **DNS-rebinding protection off**: it is a Host allowlist for servers without
  authentication on a developer's machine; every `/mcp` request here needs an API key
  (a browser page cannot read one), and the gateway already controls CORS.
- the SDK's body limit is set to the gateway's (`GATEWAY_MAX_BODY_BYTES`), which the
  gateway's own layer enforces first.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from orgair_config import Settings
from orgair_gateway.mcp.calls import PlatformCalls
from orgair_gateway.mcp.messages import MessageMiddleware
from orgair_gateway.mcp.prompts import register_prompts
from orgair_gateway.mcp.resources import register_resources
from orgair_gateway.mcp.tools import register_tools
from orgair_gateway.proxy import UpstreamProxy

__all__ = ["MCP_PATH", "McpEndpoint"]

MCP_PATH = "/mcp"

INSTRUCTIONS = (
    "The PE Org-AI-R platform: organisational AI-readiness scores (Org-AI-R, 0..100) of "
    "private-equity portfolio companies, their evidence, review queue, fund summaries and "
    "value-creation plans. Every number comes from the platform; when a tool fails, report "
    "the failure rather than estimating. Tools that write (scores, decisions, jobs, plans) "
    "are offered only to keys whose role may use them."
)


class McpEndpoint:
    """The MCP server of one gateway app: its ASGI app and its lifespan."""

    def __init__(self, settings: Settings, proxy: UpstreamProxy) -> None:
        self.calls = PlatformCalls(settings, proxy)
        server = MCPServer(
            "orgair",
            title="PE Org-AI-R Platform",
            instructions=INSTRUCTIONS,
            version=settings.APP_VERSION,
            log_level="WARNING",
        )
        # The gateway's span replaces the SDK's (same name and attributes, another
        # parent; see orgair_gateway.mcp.messages).
        server.middleware[:] = [
            MessageMiddleware(),
            *(m for m in server.middleware if not isinstance(m, OpenTelemetryMiddleware)),
        ]
        register_tools(server, self.calls)
        register_resources(server, self.calls)
        register_prompts(server)
        server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            json_response=True,
            stateless_http=True,
            max_request_body_size=settings.GATEWAY_MAX_BODY_BYTES,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.server = server
        self.app: ASGIApp = server.session_manager.handle_request
        # The SDK's INFO lines repeat per call what `mcp_tool_called` says; its warnings
        # and errors (a crashed tool, with its traceback) still come through.
        logging.getLogger("mcp").setLevel(logging.WARNING)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The SDK's session manager, for the gateway's lifespan (a mounted app's own
        lifespan never runs)."""
        async with self.server.session_manager.run():
            yield
