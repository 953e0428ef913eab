"""The MCP server at the gateway's `/mcp`: tools, resources and prompts for AI assistants."""

from orgair_gateway.mcp.endpoint import MCP_PATH, McpEndpoint

__all__ = ["MCP_PATH", "McpEndpoint"]
