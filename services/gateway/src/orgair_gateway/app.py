"""FastAPI application factory of the gateway.

Request path, outermost first (each layer pure ASGI):

    correlation id + access log   (setup_service)
    security headers
    CORS                          (only when CORS_ALLOW_ORIGINS is set)
    access control                (API key, rate limits, role floor; probes open)
    request body limit
    proxy routes                  /api/v1/*, /api/v2/* -> scoring, streamed
    FastAPI routing               probes, /admin/keys, /openapi.json, /docs (DEBUG)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from orgair_config import Settings, get_settings
from orgair_gateway import admin, health
from orgair_gateway.access import AccessControlMiddleware
from orgair_gateway.body_limit import RequestBodyLimitMiddleware
from orgair_gateway.openapi import public_openapi
from orgair_gateway.proxy import ProxyRoutesMiddleware
from orgair_gateway.runtime import GatewayRuntime
from orgair_gateway.security_headers import SecurityHeadersMiddleware
from orgair_observability import get_logger, setup_service
from orgair_observability.metrics import metrics_response

__all__ = ["OPEN_PATHS", "SERVICE", "create_app"]

SERVICE = "gateway"
OPEN_PATHS = ("/livez", "/readyz", "/health")
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"

log = get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
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
            yield
        finally:
            await runtime.stop()
            log.info("service_stopped")

    app = FastAPI(
        title=f"{settings.APP_NAME} — gateway",
        version=settings.APP_VERSION,
        lifespan=lifespan,
        # Served below: the public document, not this app's own.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
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

    # Starlette wraps later-added middleware around earlier ones: innermost first.
    app.add_middleware(
        ProxyRoutesMiddleware,
        proxy=runtime.proxy,
        prefixes=(settings.API_V1_PREFIX, settings.API_V2_PREFIX),
    )
    app.add_middleware(RequestBodyLimitMiddleware, max_body_bytes=settings.GATEWAY_MAX_BODY_BYTES)
    app.add_middleware(AccessControlMiddleware, runtime=runtime, open_paths=open_paths)
    if settings.CORS_ALLOW_ORIGINS:
        app.add_middleware(CORSMiddleware, **cors_options(settings))
    app.add_middleware(SecurityHeadersMiddleware)
    setup_service(
        app,
        settings,
        service=SERVICE,
        expose_metrics=False,
        proxied_prefixes=(settings.API_V1_PREFIX, settings.API_V2_PREFIX),
    )
    return app


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
