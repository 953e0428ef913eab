"""One middleware around every MCP message: its span, the caller's view of the tools,
and the refusals that are not a tool's to answer.

- **Span**: one SERVER span per message, named like the SDK's own (`tools/call
  get_portfolio_summary`) with the same `mcp.*` and GenAI attributes. It replaces the
  SDK's span for one reason, its parent: the gateway's HTTP span for `/mcp` is
  current when a message is handled, and when the client's trace context arrived both
  in the HTTP `traceparent` and in the message's `_meta` (SEP-414) the MCP span nests
  under the gateway's span rather than beside it, so the trace reads
  client → gateway `POST /mcp` → `tools/call …` → scoring. A `_meta` context of
  another trace than the HTTP one (a client that sent it only in `_meta`) is
  followed, so the client's trace is never left.
- **Listing**: `tools/list` answers only the tools the key's role may call, as the
  REST API would refuse the others with 403.
- **Refusals**: a request whose key has spent its rate limit is refused here for
  every method but `tools/call` (which answers with a tool error, counted in the
  tool metrics) as a JSON-RPC error carrying the 429's title and detail.
"""

from __future__ import annotations

from typing import Any

from mcp import MCPError
from mcp.server import ServerRequestContext
from mcp.server.context import CallNext, HandlerResult
from mcp.types import CallToolResult, ListToolsResult
from opentelemetry import propagate, trace
from opentelemetry.context import Context as TraceContext
from opentelemetry.trace import SpanKind, StatusCode

from orgair_auth import Identity, Role
from orgair_gateway.access import REFUSAL_STATE, InBandRefusal
from orgair_gateway.asgi import state
from orgair_gateway.mcp.calls import ROLE_META_KEY, bound_message
from orgair_gateway.proxy import IDENTITY_STATE

__all__ = ["RATE_LIMITED_CODE", "MessageMiddleware"]

# JSON-RPC's implementation-defined server-error range (-32000..-32099).
RATE_LIMITED_CODE = -32029

_tracer = trace.get_tracer(__name__)


class MessageMiddleware:
    """The gateway's `ServerMiddleware` (see the module docstring)."""

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        name = ctx.params.get("name") if ctx.params else None
        target = name if isinstance(name, str) else None
        attributes: dict[str, Any] = {
            "mcp.method.name": ctx.method,
            "mcp.protocol.version": ctx.protocol_version,
        }
        if ctx.request_id is not None:
            attributes["jsonrpc.request.id"] = str(ctx.request_id)
        if ctx.method == "tools/call":
            attributes["gen_ai.operation.name"] = "execute_tool"
            if target is not None:
                attributes["gen_ai.tool.name"] = target
        elif ctx.method == "prompts/get" and target is not None:
            attributes["gen_ai.prompt.name"] = target

        with _tracer.start_as_current_span(
            f"{ctx.method} {target}" if target else ctx.method,
            context=_parent(ctx.meta),
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            request_state = _request_state(ctx)
            refusal = request_state.get(REFUSAL_STATE)
            if isinstance(refusal, InBandRefusal) and ctx.method != "tools/call":
                span.set_status(StatusCode.ERROR, refusal.title)
                raise MCPError(RATE_LIMITED_CODE, f"{refusal.title}: {refusal.detail}")
            try:
                with bound_message(ctx):
                    result = await call_next(ctx)
            except MCPError as exc:
                span.set_attribute("error.type", str(exc.error.code))
                span.set_status(StatusCode.ERROR, exc.error.message)
                raise
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(StatusCode.ERROR)
                raise
            if ctx.method == "tools/list":
                identity = request_state.get(IDENTITY_STATE)
                role = identity.role if isinstance(identity, Identity) else Role.VIEWER
                return _offered(result, role)
            if ctx.method == "tools/call" and _is_tool_error(result):
                span.set_attribute("error.type", "tool_error")
                span.set_status(StatusCode.ERROR)
            return result


def _parent(meta: Any) -> TraceContext | None:
    """The MCP span's parent: the current (gateway) span, unless `_meta` carries a
    context of another trace, which is then followed (see the module docstring)."""
    if not meta:
        return None
    try:
        carried = propagate.extract(dict(meta))
    except (TypeError, ValueError):
        return None
    carried_span = trace.get_current_span(carried).get_span_context()
    if not carried_span.is_valid:
        return None
    ambient = trace.get_current_span().get_span_context()
    if ambient.is_valid and ambient.trace_id == carried_span.trace_id:
        return None
    return carried


def _request_state(ctx: ServerRequestContext[Any, Any]) -> dict[str, Any]:
    scope = getattr(ctx.request, "scope", None)
    return state(scope) if isinstance(scope, dict) else {}


def _allowed(tool: Any, role: Role) -> bool:
    meta = tool.get("_meta") if isinstance(tool, dict) else getattr(tool, "meta", None)
    required = (meta or {}).get(ROLE_META_KEY)
    return required is None or role.grants(Role(required))


def _offered(result: HandlerResult, role: Role) -> HandlerResult:
    if isinstance(result, ListToolsResult):
        return result.model_copy(
            update={"tools": [tool for tool in result.tools if _allowed(tool, role)]}
        )
    if isinstance(result, dict) and isinstance(result.get("tools"), list):
        return {**result, "tools": [tool for tool in result["tools"] if _allowed(tool, role)]}
    return result


def _is_tool_error(result: HandlerResult) -> bool:
    if isinstance(result, CallToolResult):
        return bool(result.is_error)
    return isinstance(result, dict) and result.get("isError") is True
