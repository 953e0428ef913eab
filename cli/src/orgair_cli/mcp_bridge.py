"""`orgair mcp`: the platform's MCP server for desktop assistants, on stdio.

Desktop assistants start MCP servers as local processes and talk to them over stdin
and stdout. This one holds no tool of its own: it is a relay to the gateway's `/mcp`
endpoint, made of the official SDK's stdio server and its Streamable HTTP client,
sending `ORGAIR_API_KEY` as a Bearer token to `ORGAIR_GATEWAY_URL`. So the assistant
gets exactly what the gateway offers that key — the same tools, schemas, roles,
rate limit and signed identity towards scoring — and there is one implementation of
every tool, in the gateway.

The relay connects on the first request and again after a failure; while the
gateway cannot be reached (or refuses the key) a tool call answers with a tool error
saying so, and a listing or read with a protocol error: never anything made up. The
assistant's W3C trace context (`_meta.traceparent`) is passed on, so its trace
continues through the gateway into scoring.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import anyio
import httpx2
import typer
from anyio.abc import TaskGroup, TaskStatus
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import (
    INTERNAL_ERROR,
    CallToolRequestParams,
    CallToolResult,
    GetPromptRequestParams,
    GetPromptResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    TextContent,
)

__all__ = ["GatewayRelay", "register"]

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
KEY_VARIABLE = "ORGAIR_API_KEY"
URL_VARIABLE = "ORGAIR_GATEWAY_URL"
# What of the assistant's `_meta` travels on: its trace context, nothing of its envelope.
_TRACE_META_KEYS = ("traceparent", "tracestate", "baggage")


class GatewayUnavailable(Exception):
    """The gateway could not be reached, or refused the connection (one readable line)."""


class GatewayRelay:
    """One Streamable HTTP client session to the gateway, opened when first needed.

    The session is held open by a task of its own (`attach` gives it the server's task
    group): the SDK client's task groups must be entered and left by one task, and a
    request handler's task ends with its request."""

    def __init__(self, gateway_url: str, api_key: str, *, timeout_seconds: float = 60) -> None:
        self.endpoint = gateway_url.rstrip("/") + "/mcp"
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._tasks: TaskGroup | None = None
        self._client: Client | None = None
        self._release: anyio.Event | None = None
        self._lock = anyio.Lock()
        # The gateway's latest refusal of an HTTP request (the SDK reports only that
        # the server "returned an error response").
        self._refusal: str | None = None

    def attach(self, tasks: TaskGroup) -> None:
        self._tasks = tasks

    async def _connected(self) -> Client:
        async with self._lock:
            if self._client is not None:
                return self._client
            if self._tasks is None:
                raise RuntimeError("GatewayRelay.attach() was not called")
            opened: Client | str = await self._tasks.start(self._hold)
            if isinstance(opened, str):
                raise GatewayUnavailable(opened)
            self._client = opened
            return opened

    async def _hold(self, *, task_status: TaskStatus[Client | str]) -> None:
        release = self._release = anyio.Event()
        started = False
        try:
            async with (
                httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {self._api_key}"},
                    timeout=self._timeout,
                    event_hooks={"response": [self._note_refusal]},
                ) as http,
                Client(streamable_http_client(self.endpoint, http_client=http)) as client,
            ):
                task_status.started(client)
                started = True
                await release.wait()
        except Exception as exc:
            if not started:
                task_status.started(self._describe(exc))

    async def _note_refusal(self, response: httpx2.Response) -> None:
        if response.status_code < 400:
            return
        await response.aread()
        try:
            problem = response.json()
        except ValueError:
            problem = None
        if isinstance(problem, dict) and problem.get("title"):
            text = f"{problem['title']}: {problem.get('detail') or ''}".rstrip(": ")
        else:
            text = f"HTTP {response.status_code}"
        if response.status_code == 401:
            text += f" (check {KEY_VARIABLE})"
        self._refusal = f"The gateway at {self.endpoint} refused the request: {text}"

    async def close(self) -> None:
        """Let the session go (the next request opens another)."""
        self._client = None
        if self._release is not None:
            self._release.set()

    async def forward(self, operation: str, **kwargs: Any) -> Any:
        """`operation` (a `Client` method) on the gateway; `GatewayUnavailable` when it
        cannot be done. A JSON-RPC error the gateway answered passes through as it is."""
        client = await self._connected()
        try:
            return await getattr(client, operation)(**kwargs)
        except MCPError:
            raise
        except Exception as exc:
            # The session is gone or broken; the next request connects again.
            if self._client is client:
                await self.close()
            raise GatewayUnavailable(self._describe(exc)) from None

    def _describe(self, exc: BaseException) -> str:
        refusal, self._refusal = self._refusal, None
        if refusal is not None:
            return refusal
        for error in _leaves(exc):
            if isinstance(error, httpx2.TransportError):
                return (
                    f"The platform's gateway at {self.endpoint} is unreachable "
                    f"({type(error).__name__}); no answer can be given without it."
                )
        return f"The gateway at {self.endpoint} could not be used ({type(exc).__name__})."


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exception and those it groups or was caused by (the SDK's task groups wrap
    transport errors in exception groups)."""
    found: list[BaseException] = []
    pending = [exc]
    while pending:
        current = pending.pop()
        found.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
    return found


def _trace_meta(params: Any) -> dict[str, Any] | None:
    meta = getattr(params, "meta", None) if params is not None else None
    if not meta:
        return None
    carried = {key: meta[key] for key in _TRACE_META_KEYS if key in meta}
    return carried or None


def relay_server(relay: GatewayRelay) -> Server[Any]:
    """A low-level SDK server whose every handler is the same request on the gateway."""

    async def forwarded(method: str, **arguments: Any) -> Any:
        """The gateway's answer; an unreachable gateway is a protocol error saying so."""
        try:
            return await relay.forward(method, **arguments)
        except GatewayUnavailable as exc:
            raise MCPError(INTERNAL_ERROR, str(exc)) from None

    def page(params: PaginatedRequestParams | None) -> dict[str, Any]:
        return {"cursor": params.cursor if params else None, "cache_mode": "bypass"}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        result: ListToolsResult = await forwarded("list_tools", **page(params))
        return result

    async def call_tool(
        ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        try:
            result: CallToolResult = await relay.forward(
                "call_tool",
                name=params.name,
                arguments=params.arguments or {},
                meta=_trace_meta(params),
            )
        except GatewayUnavailable as exc:
            # For the model to read: the call failed, and why.
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        return result

    async def list_resources(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        result: ListResourcesResult = await forwarded("list_resources", **page(params))
        return result

    async def list_resource_templates(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourceTemplatesResult:
        result: ListResourceTemplatesResult = await forwarded(
            "list_resource_templates", **page(params)
        )
        return result

    async def read_resource(
        ctx: ServerRequestContext[Any], params: ReadResourceRequestParams
    ) -> ReadResourceResult:
        result: ReadResourceResult = await forwarded(
            "read_resource", uri=str(params.uri), meta=_trace_meta(params), cache_mode="bypass"
        )
        return result

    async def list_prompts(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListPromptsResult:
        result: ListPromptsResult = await forwarded("list_prompts", **page(params))
        return result

    async def get_prompt(
        ctx: ServerRequestContext[Any], params: GetPromptRequestParams
    ) -> GetPromptResult:
        result: GetPromptResult = await forwarded(
            "get_prompt", name=params.name, arguments=params.arguments, meta=_trace_meta(params)
        )
        return result

    return Server(
        "orgair",
        title="PE Org-AI-R Platform (via the gateway)",
        instructions=(
            "The PE Org-AI-R platform's tools, served by its gateway for this API key. "
            "Every number comes from the platform; when a tool fails, report the failure."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


async def serve_stdio(relay: GatewayRelay) -> None:
    server = relay_server(relay)
    async with anyio.create_task_group() as tasks:
        relay.attach(tasks)
        try:
            async with stdio_server() as (read_stream, write_stream):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        finally:
            await relay.close()


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp_command(
        gateway_url: Annotated[
            str,
            typer.Option(envvar=URL_VARIABLE, help="the gateway's base URL (its /mcp is used)"),
        ] = DEFAULT_GATEWAY_URL,
    ) -> None:
        """Serve the platform's MCP tools on stdio for a desktop assistant, through the
        gateway, with the API key in ORGAIR_API_KEY."""
        api_key = os.environ.get(KEY_VARIABLE, "").strip()
        if not api_key:
            typer.echo(
                f"orgair mcp: set {KEY_VARIABLE} to an API key (orgair keys create ...)", err=True
            )
            raise typer.Exit(2)
        if not gateway_url.startswith(("http://", "https://")):
            typer.echo(f"orgair mcp: {URL_VARIABLE} must be an http:// or https:// URL", err=True)
            raise typer.Exit(2)
        anyio.run(serve_stdio, GatewayRelay(gateway_url, api_key))
