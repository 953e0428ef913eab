"""How an MCP tool or resource reaches scoring: as the caller, under the REST API's rules.

Each tool is declared with the least role the REST endpoint behind it asks for
(`platform_tool(..., role=...)`): reads viewer, writes analyst, review decisions
reviewer, as scoring enforces them. A call then goes, in order, through:

1. the in-band refusal the access layer left (the key's rate limit is spent: the
   request was counted like any other and is refused here, as a tool error the
   model can read, with the 429's detail);
2. the role check, before anything is sent (the REST API would answer 403, so the
   tool does not try; `tools/list` does not offer it to that key either);
3. the call itself, through `ScoringApi` with the caller's signed identity: scoring
   decides everything else, and a refusal comes back as a tool error carrying the
   problem's title and detail; scoring unreachable is a tool error too, never a
   made-up answer.

Every tool call is counted in `mcp_tool_calls_total{tool,status}` and timed in
`mcp_tool_duration_seconds{tool}`.

Which request a tool or resource serves is bound by the message middleware
(`bound_message`) for the time its handler runs: the SDK hands a static resource no
context, and one way for both keeps the tools' signatures to their arguments.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from mcp.server import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations
from starlette.types import Scope

from orgair_auth import Role
from orgair_config import Settings
from orgair_gateway.access import REFUSAL_STATE, InBandRefusal
from orgair_gateway.asgi import state
from orgair_gateway.proxy import UpstreamProxy
from orgair_gateway.upstream_client import (
    ApiRefused,
    Caller,
    Problem,
    ScoringApi,
    UpstreamUnavailable,
)
from orgair_observability import get_logger
from orgair_observability.metrics import MCP_TOOL_CALLS, MCP_TOOL_DURATION

__all__ = [
    "ROLE_META_KEY",
    "PlatformCalls",
    "bound_message",
    "forbidden_detail",
    "problem_text",
]

log = get_logger(__name__)

# The role a tool needs, in each tool's `_meta` (clients may show it; `tools/list`
# filters on it).
ROLE_META_KEY = "orgair/required_role"

FnT = TypeVar("FnT", bound=Callable[..., Any])

_message: ContextVar[ServerRequestContext[Any, Any] | None] = ContextVar(
    "orgair_mcp_message", default=None
)


@contextlib.contextmanager
def bound_message(ctx: ServerRequestContext[Any, Any]) -> Iterator[None]:
    """While a message is handled: the request it came with, for `PlatformCalls`."""
    token = _message.set(ctx)
    try:
        yield
    finally:
        _message.reset(token)


def _current_message() -> ServerRequestContext[Any, Any]:
    ctx = _message.get()
    if ctx is None:
        raise RuntimeError("no MCP message is being handled (the middleware binds it)")
    return ctx


def request_scope() -> Scope:
    """The ASGI scope of the HTTP request that carried the current message."""
    scope = getattr(_current_message().request, "scope", None)
    if not isinstance(scope, dict):
        raise RuntimeError("the platform's tools are served over the gateway's /mcp only")
    return scope


def forbidden_detail(required: Role, held: Role) -> str:
    """The REST API's 403 detail, word for word."""
    return f"This operation needs the {required.value} role; the API key has {held.value}."


def problem_text(problem: Problem) -> str:
    """One line for the model: the problem's title and what it says."""
    if problem.status == 401:
        # Scoring refused the gateway's own signature: a deployment fault, not the caller's.
        return "Bad Gateway: the scoring API refused the gateway's identity; tell an operator."
    return f"{problem.title}: {problem.message}"


class PlatformCalls:
    """The tools' and resources' way to scoring; one per gateway app."""

    def __init__(self, settings: Settings, proxy: UpstreamProxy) -> None:
        self.settings = settings
        self.proxy = proxy
        self.roles: dict[str, Role] = {}

    def tool(
        self,
        server: MCPServer,
        *,
        role: Role,
        title: str,
        read_only: bool,
        idempotent: bool = False,
    ) -> Callable[[FnT], FnT]:
        """`@calls.tool(server, role=Role.ANALYST, title=..., read_only=False)`: registers
        the function as a tool needing `role`, with the behaviour hints clients use to
        decide whether to ask the user first."""

        def register(fn: FnT) -> FnT:
            name = fn.__name__
            self.roles[name] = role
            server.add_tool(
                fn,
                name=name,
                title=title,
                description=inspect.cleandoc(fn.__doc__ or ""),
                annotations=ToolAnnotations(
                    read_only_hint=read_only,
                    destructive_hint=False if not read_only else None,
                    idempotent_hint=idempotent if not read_only else None,
                    open_world_hint=False,
                ),
                meta={ROLE_META_KEY: role.value},
            )
            return fn

        return register

    def allows(self, tool: str, role: Role) -> bool:
        required = self.roles.get(tool)
        return required is None or role.grants(required)

    def scoring_for(self, scope: Scope) -> ScoringApi:
        return ScoringApi(
            self.proxy,
            Caller.of_request(scope),
            v1_prefix=self.settings.API_V1_PREFIX,
            v2_prefix=self.settings.API_V2_PREFIX,
        )

    @contextlib.asynccontextmanager
    async def calling(self) -> AsyncIterator[ScoringApi]:
        """Around a tool's body: the checks above, then scoring as the caller; refusals
        raised as `ToolError`, every call counted and timed."""
        params = _current_message().params or {}
        name = str(params.get("name", "unknown"))
        started = time.perf_counter()
        status = "error"
        try:
            scope = request_scope()
            refusal = state(scope).get(REFUSAL_STATE)
            if isinstance(refusal, InBandRefusal):
                status = "rate_limited"
                raise ToolError(f"{refusal.title}: {refusal.detail}")
            api = self.scoring_for(scope)
            required = self.roles[name]
            if not api.identity.role.grants(required):
                status = "forbidden"
                raise ToolError(f"Forbidden: {forbidden_detail(required, api.identity.role)}")
            try:
                yield api
            except ApiRefused as exc:
                status = "forbidden" if exc.problem.status == 403 else "error"
                raise ToolError(problem_text(exc.problem)) from None
            except UpstreamUnavailable as exc:
                status = "unavailable"
                raise ToolError(f"{exc.title}: {exc.detail}") from None
            status = "ok"
        finally:
            MCP_TOOL_CALLS.labels(name, status).inc()
            MCP_TOOL_DURATION.labels(name).observe(time.perf_counter() - started)
            log.info("mcp_tool_called", tool=name, status=status)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[ScoringApi]:
        """Around a resource read: the same refusals, as the protocol's resource errors
        (a resource read has no tool-error form)."""
        scope = request_scope()
        refusal = state(scope).get(REFUSAL_STATE)
        if isinstance(refusal, InBandRefusal):
            raise ResourceError(f"{refusal.title}: {refusal.detail}")
        try:
            yield self.scoring_for(scope)
        except ApiRefused as exc:
            if exc.problem.status == 404:
                raise ResourceNotFoundError(problem_text(exc.problem)) from None
            raise ResourceError(problem_text(exc.problem)) from None
        except UpstreamUnavailable as exc:
            raise ResourceError(f"{exc.title}: {exc.detail}") from None
