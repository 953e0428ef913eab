"""FastAPI application factory of the gateway.

Two request paths share one set of pure-ASGI layers, outermost first:

    SERVER span                   (FastAPI's own, or ServerSpanMiddleware)
    500 problem on an exception   (Starlette's ServerErrorMiddleware)
    correlation id + access log   (setup_service)
    metrics
    security headers
    CORS                          (only when CORS_ALLOW_ORIGINS is set)
    access control                (API key, rate limits, role floor; probes open)
    request body limit

then either the proxy (/api/v1/*, /api/v2/* -> scoring, streamed), the MCP
endpoint (/mcp, the official SDK's Streamable HTTP server, whose tools call scoring
as the caller: orgair_gateway.mcp) or FastAPI's routing (probes, /admin/keys,
/metrics, /openapi.json, /docs in DEBUG, and the analyst pages under /dashboard,
which authenticate their session cookie themselves).

Proxied and MCP requests never enter FastAPI: `GatewayApp` hands each to a pipeline
of the same layers built around the proxy or the MCP server, so they skip FastAPI's
span, exception and body-limit middleware and its routing (DESIGN §4: keep the
proxied path out of framework routing). The gateway's own endpoints go through
FastAPI as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from orgair_config import Settings, get_settings
from orgair_gateway import admin, health
from orgair_gateway.access import AccessControlMiddleware
from orgair_gateway.body_limit import RequestBodyLimitMiddleware
from orgair_gateway.dashboard.mount import PREFIX as DASHBOARD_PREFIX
from orgair_gateway.dashboard.mount import mount_dashboard
from orgair_gateway.mcp import MCP_PATH, McpEndpoint
from orgair_gateway.openapi import public_openapi
from orgair_gateway.proxy import ProxiedPaths
from orgair_gateway.runtime import GatewayRuntime
from orgair_gateway.security_headers import SecurityHeadersMiddleware
from orgair_observability import CorrelationIdMiddleware, get_logger, setup_service
from orgair_observability.metrics import MetricsMiddleware, metrics_response
from orgair_observability.server_span import ServerSpanMiddleware
from orgair_observability.service import FASTAPI_TELEMETRY

__all__ = ["OPEN_PATHS", "SERVICE", "GatewayApp", "create_app"]

SERVICE = "gateway"
OPEN_PATHS = ("/livez", "/readyz", "/health")
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"

log = get_logger(__name__)


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own endpoints; proxied paths go to `proxied` and the
    MCP endpoint to `mcp` instead."""

    proxied: ASGIApp | None = None
    proxied_paths: ProxiedPaths | None = None
    mcp: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            paths, proxied = self.proxied_paths, self.proxied
            if proxied is not None and paths is not None and paths.matches(scope["path"]):
                scope["app"] = self
                await proxied(scope, receive, send)
                return
            if self.mcp is not None and scope["path"] == MCP_PATH:
                scope["app"] = self
                await self.mcp(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> GatewayApp:
    settings = settings or get_settings()
    runtime = GatewayRuntime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log.info(
            "service_started",
            env=settings.APP_ENV,
            version=settings.APP_VERSION,
            upstream=settings.scoring_upstream_url,
        )
        try:
            # The MCP endpoint is built below, once logging is set up.
            mcp_endpoint: McpEndpoint = app.state.mcp
            async with mcp_endpoint.running():
                yield
        finally:
            await runtime.stop()
            log.info("service_stopped")

    app = GatewayApp(
        title=f"{settings.APP_NAME} — gateway",
        version=settings.APP_VERSION,
        lifespan=lifespan,
        # Served below: the public document, not this app's own.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=FASTAPI_TELEMETRY,
        # A redirect would be built from the caller's Host header: 404 instead.
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    app.include_router(health.router)
    app.include_router(admin.router)

    # In DEBUG the browser's Swagger UI must load the document without a key.
    open_paths = (*OPEN_PATHS, OPENAPI_PATH, DOCS_PATH) if settings.DEBUG else OPEN_PATHS
    document = public_openapi(settings, (health.router, admin.router), OPEN_PATHS)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(document)

    # The gateway's port is public: its metrics are for operators only.
    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(admin.require_admin)])
    async def metrics() -> Response:
        return metrics_response()

    if settings.DEBUG:

        @app.get(DOCS_PATH, include_in_schema=False)
        async def swagger_ui() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=document["info"]["title"])

    # The analyst pages: sign-in sessions instead of keys, checked by the dashboard itself.
    mount_dashboard(app)

    proxied_prefixes = (settings.API_V1_PREFIX, settings.API_V2_PREFIX)
    # Starlette wraps later-added middleware around earlier ones: innermost first.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_bytes=settings.GATEWAY_MAX_BODY_BYTES)
    app.add_middleware(
        AccessControlMiddleware,
        runtime=runtime,
        open_paths=open_paths,
        own_auth_prefixes=(DASHBOARD_PREFIX,),
    )
    if settings.CORS_ALLOW_ORIGINS:
        app.add_middleware(CORSMiddleware, **cors_options(settings))
    app.add_middleware(SecurityHeadersMiddleware)
    setup_service(
        app, settings, service=SERVICE, expose_metrics=False, proxied_prefixes=proxied_prefixes
    )

    paths = ProxiedPaths(proxied_prefixes)

    def edge(inner: ASGIApp, route_for: Callable[[str], str]) -> ASGIApp:
        """The same layers, in the same order, around the proxy or the MCP server
        (setup_service installed the problem handlers the 500 guard uses)."""
        pipeline: ASGIApp = RequestBodyLimitMiddleware(
            inner, max_body_bytes=settings.GATEWAY_MAX_BODY_BYTES
        )
        pipeline = AccessControlMiddleware(
            pipeline, runtime=runtime, open_paths=open_paths, in_band_paths=(MCP_PATH,)
        )
        if settings.CORS_ALLOW_ORIGINS:
            pipeline = CORSMiddleware(pipeline, **cors_options(settings))
        pipeline = SecurityHeadersMiddleware(pipeline)
        pipeline = MetricsMiddleware(pipeline, service=SERVICE, proxied_prefixes=proxied_prefixes)
        pipeline = CorrelationIdMiddleware(pipeline)
        pipeline = ServerErrorMiddleware(
            pipeline, handler=app.exception_handlers.get(Exception), debug=settings.DEBUG
        )
        return ServerSpanMiddleware(pipeline, route_for=route_for)

    app.proxied = edge(runtime.proxy, paths.route)
    app.proxied_paths = paths
    # Built after setup_service: the SDK configures logging only where none is.
    app.state.mcp = mcp_endpoint = McpEndpoint(settings, runtime.proxy)
    app.mcp = RouteLabel(edge(mcp_endpoint.app, lambda path: MCP_PATH), MCP_PATH)
    return app


class RouteLabel:
    """Names the route of a request served outside FastAPI's routing, so the metrics
    label it with its template (even when the access layer refuses it)."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.route = Route(path, endpoint=app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route
        await self.app(scope, receive, send)


def cors_options(settings: Settings) -> dict[str, Any]:
    return {
        "allow_origins": settings.CORS_ALLOW_ORIGINS,
        "allow_credentials": settings.CORS_ALLOW_CREDENTIALS,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "allow_headers": [
            "Authorization",
            "X-API-Key",
            "Content-Type",
            "X-Correlation-ID",
            "traceparent",
            "tracestate",
        ],
        "expose_headers": ["X-Correlation-ID", "RateLimit", "RateLimit-Policy", "Retry-After"],
        "max_age": 600,
    }
