"""The MCP resources: reference data an assistant reads rather than calls.

`orgair://sectors` is the industries table (ids, names, sectors, H^R bases: what the
company tools' `industry_id` means) and `orgair://parameters/{version}` one parameter
profile with every number of the model (weights, alpha, beta, lambda, delta, the sector
tables): what a score was computed with. Both are read from scoring as the caller, like the tools,
and given as scoring's JSON unchanged: reference data is the record itself, not a
summary of it.
"""

from __future__ import annotations

import orjson
from mcp.server.mcpserver import MCPServer

from orgair_gateway.mcp.calls import PlatformCalls

__all__ = ["register_resources"]

JSON = "application/json"


def register_resources(server: MCPServer, calls: PlatformCalls) -> None:
    @server.resource(
        "orgair://sectors",
        name="sectors",
        title="Industries and sectors",
        description="Every industry: id, name, sector key and H^R base (GET /api/v1/industries).",
        mime_type=JSON,
    )
    async def sectors() -> str:
        async with calls.reading() as api:
            return orjson.dumps(await api.get(api.v1("industries"))).decode()

    @server.resource(
        "orgair://parameters/{version}",
        name="parameters",
        title="A parameter profile",
        description=(
            "One parameter profile (v1.0, v2.0 or a custom one) with every number of the "
            "Org-AI-R model and its hash (GET /api/v2/parameters/{version})."
        ),
        mime_type=JSON,
    )
    async def parameters(version: str) -> str:
        async with calls.reading() as api:
            return orjson.dumps(await api.get(api.v2("parameters", version))).decode()
