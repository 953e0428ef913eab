"""OpenTelemetry tracing: one SDK `TracerProvider` per process, OTLP/HTTP export on demand.

FastAPI (≥ 0.165) opens a SERVER span per request, continuing the caller's
W3C ``traceparent``, as soon as a global SDK provider exists, so configuring
the provider here is all a service needs for incoming requests. Outgoing calls
propagate the context with `opentelemetry.propagate.inject(headers)`.
"""

from __future__ import annotations

import os
import threading

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from orgair_observability.logging import get_logger

__all__ = ["configure_tracing", "otlp_traces_url", "shutdown_tracing"]

OTLP_TRACES_PATH = "/v1/traces"

_log = get_logger("orgair.tracing")
_lock = threading.Lock()
_provider: TracerProvider | None = None


def otlp_traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector base `endpoint` (``/v1/traces`` appended once)."""
    base = endpoint.rstrip("/")
    return base if base.endswith(OTLP_TRACES_PATH) else base + OTLP_TRACES_PATH


def configure_tracing(
    *,
    service: str,
    version: str,
    environment: str,
    otlp_endpoint: str | None,
    sample_ratio: float = 1.0,
) -> TracerProvider:
    """Install the process-wide SDK `TracerProvider` and return it.

    Idempotent: OpenTelemetry lets a process set its global provider only once,
    so later calls return the provider already installed (whatever arguments
    they pass). A provider set earlier by someone else is adopted as it is.
    Root spans are sampled at `sample_ratio`; child spans follow their parent.
    """
    global _provider
    if not 0.0 <= sample_ratio <= 1.0:
        raise ValueError(f"sample_ratio must be within [0, 1], got {sample_ratio}")
    with _lock:
        if _provider is not None:
            return _provider
        existing = trace.get_tracer_provider()
        if isinstance(existing, TracerProvider):
            _log.info("tracing_provider_adopted", requested_service=service)
            _provider = existing
            return existing

        resource = Resource.create(
            {
                "service.name": service,
                "service.version": version,
                "deployment.environment": environment,
                # The attribute's name in current semantic conventions.
                "deployment.environment.name": environment,
                # Tells a prefork worker's processes apart (each sets up its own provider).
                "process.pid": os.getpid(),
            }
        )
        provider = TracerProvider(
            resource=resource, sampler=ParentBased(TraceIdRatioBased(sample_ratio))
        )
        if otlp_endpoint:
            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_traces_url(otlp_endpoint)))
            )
        trace.set_tracer_provider(provider)
        _provider = provider
        _log.info(
            "tracing_configured",
            otel_service_name=service,
            otlp_export=bool(otlp_endpoint),
            sample_ratio=sample_ratio,
        )
        return provider


def shutdown_tracing(timeout_millis: int = 30_000) -> None:
    """Export the spans still buffered, then stop the provider's processors.

    Call it when the process stops (a Celery worker process, a one-shot job).
    The global provider cannot be replaced afterwards, so later spans are dropped.
    """
    with _lock:
        provider = _provider
    if provider is None:
        return
    provider.force_flush(timeout_millis)
    provider.shutdown()
