"""`setup_service`: the observability wiring every FastAPI service does at start-up."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from orgair_config import Settings
from orgair_observability.correlation import CorrelationIdMiddleware
from orgair_observability.logging import configure_logging
from orgair_observability.metrics import MetricsMiddleware, metrics_endpoint
from orgair_observability.problems import install_problem_handlers
from orgair_observability.redaction import register_secret_values
from orgair_observability.setting_secrets import secret_values
from orgair_observability.tracing import configure_tracing

__all__ = ["FASTAPI_TELEMETRY", "secret_values", "setup_service"]

# `FastAPI(telemetry=FASTAPI_TELEMETRY)` in every service: FastAPI's SERVER span per
# request (it continues the caller's trace: gateway -> scoring -> worker stay one
# trace), without its operation spans (dependency resolution, endpoint,
# serialization). Those are two or three more spans per request, each costing
# about what the request span costs: measured at ~11% of the CPU of a cached read
# in scoring, for spans that only split the request span into framework phases.
# Its OTel metrics and OTel log records are off too: the services count with
# Prometheus and log with structlog, configure no OTel meter or logger provider,
# and FastAPI would look both providers up (reading the environment) per request.
FASTAPI_TELEMETRY: TelemetryConfig = {"operation_spans": False, "metrics": False, "logs": False}


def _is_correlation_middleware(middleware_class: object) -> bool:
    return middleware_class is CorrelationIdMiddleware


def _is_metrics_middleware(middleware_class: object) -> bool:
    return middleware_class is MetricsMiddleware


def setup_service(
    app: FastAPI,
    settings: Settings,
    *,
    service: str,
    expose_metrics: bool = True,
    proxied_prefixes: tuple[str, ...] = (),
) -> None:
    """Logging, secret scrubbing, tracing, metrics, problem details and correlation ids.

    `/metrics` is added unless `expose_metrics` is false: a service whose port is
    public (the gateway) serves it behind its own authorisation instead. Paths under
    `proxied_prefixes` are routed outside FastAPI and labelled by prefix in metrics.

    Call it after the service's own ``add_middleware`` calls: Starlette wraps
    later-added middleware around earlier ones, and the correlation middleware
    must be the outermost so that every response carries ``X-Correlation-ID``.
    """
    configure_logging(service=service, level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
    register_secret_values(secret_values(settings))
    configure_tracing(
        service=f"{settings.OTEL_SERVICE_NAME}-{service}",
        version=settings.APP_VERSION,
        environment=settings.APP_ENV,
        otlp_endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT,
        sample_ratio=settings.OTEL_TRACES_SAMPLE_RATIO,
    )
    install_problem_handlers(app, debug=settings.DEBUG)
    if not any(_is_metrics_middleware(entry.cls) for entry in app.user_middleware):
        app.add_middleware(MetricsMiddleware, service=service, proxied_prefixes=proxied_prefixes)
    if expose_metrics:
        app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    # Calling setup twice must not stack a second copy; adding it again last
    # keeps it outermost.
    app.user_middleware[:] = [
        entry for entry in app.user_middleware if not _is_correlation_middleware(entry.cls)
    ]
    app.add_middleware(CorrelationIdMiddleware)
