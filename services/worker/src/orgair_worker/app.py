"""The Celery application of the worker: `celery -A orgair_worker.app worker`.

Configuration comes from the shared settings when Celery first needs it (not at
import), through the same `celery_config` the scoring API publishes with. Logging
is ours: Celery neither hijacks the root logger nor redirects stdout, and every
line is a structlog JSON line with the task's correlation id and trace ids.
Tracing and the per-process clients are set up in each pool process after the
fork (`worker_process_init`): exporter threads and sockets do not survive a fork.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from celery import Celery, Task, signals

from orgair_config import get_settings, load_settings_or_exit
from orgair_domain.jobs.queue import CORRELATION_HEADER, celery_config
from orgair_observability import configure_logging, configure_tracing, shutdown_tracing
from orgair_observability.instrumentation import instrument_celery
from orgair_observability.redaction import register_secret_values
from orgair_observability.setting_secrets import secret_values
from orgair_worker import metrics
from orgair_worker.heartbeat import Heartbeat
from orgair_worker.runtime import close_resources, resources

SERVICE = "worker"
Handler = TypeVar("Handler", bound=Callable[..., None])


def on(signal: Any) -> Callable[[Handler], Handler]:
    """Connect a handler to a Celery signal (Celery ships no type hints)."""

    def connect(handler: Handler) -> Handler:
        signal.connect(handler, weak=False)
        return handler

    return connect


def _configuration() -> dict[str, Any]:
    # Exits with one line per problem (never a traceback) when a setting is invalid.
    settings = load_settings_or_exit(SERVICE)
    return celery_config(settings)


app = Celery("orgair_worker", set_as_current=True)
app.add_defaults(_configuration)
app.steps["consumer"].add(Heartbeat)


def _setup_observability() -> None:
    settings = get_settings()
    configure_logging(service=SERVICE, level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
    # Python warnings (Celery's warning about running as root, deprecations) become
    # log records too, so every line the worker writes is in the log format.
    logging.captureWarnings(True)
    register_secret_values(secret_values(settings))


@on(signals.setup_logging)
def _logging_in_main_process(**_: Any) -> None:
    """Connected, so Celery leaves logging to us (no handlers of its own)."""
    _setup_observability()


@on(signals.worker_process_init)
def _init_pool_process(**_: Any) -> None:
    _setup_observability()
    settings = get_settings()
    configure_tracing(
        service=f"{settings.OTEL_SERVICE_NAME}-{SERVICE}",
        version=settings.APP_VERSION,
        environment=settings.APP_ENV,
        otlp_endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT,
        sample_ratio=settings.OTEL_TRACES_SAMPLE_RATIO,
    )
    # Consumer spans that continue the trace context in each task's headers.
    instrument_celery()
    # The clients, built now rather than in the first task, which would otherwise pay for
    # importing the LLM SDKs (seconds) under its time limit. None of them connects yet.
    resources()
    # Everything imported so far (Celery, SQLAlchemy, NumPy, the domain library) lives as
    # long as the process: keep it out of the cyclic collector's full passes, which a
    # chunk's tens of thousands of short-lived rows would otherwise trigger over and
    # over (measured: chunks ~20% faster).
    gc.freeze()


@on(signals.worker_process_shutdown)
def _shutdown_pool_process(**_: Any) -> None:
    close_resources()
    shutdown_tracing(timeout_millis=5_000)


@on(signals.task_prerun)
def _bind_task_context(task: Task | None = None, task_id: str | None = None, **_: Any) -> None:
    """Every log line of the task carries the correlation id of the request behind it."""
    structlog.contextvars.clear_contextvars()
    correlation_id = getattr(task.request, CORRELATION_HEADER, None) if task else None
    structlog.contextvars.bind_contextvars(
        correlation_id=correlation_id, task_id=task_id, task=task.name if task else None
    )


@on(signals.task_prerun)
def _start_task_timer(task_id: str | None = None, **_: Any) -> None:
    metrics.task_started(task_id)


@on(signals.task_postrun)
def _unbind_task_context(
    task: Task | None = None, task_id: str | None = None, state: Any = None, **_: Any
) -> None:
    metrics.task_finished(task_id, task.name if task else "unknown", state)
    structlog.contextvars.clear_contextvars()


@on(signals.worker_ready)
def _serve_metrics(**_: Any) -> None:
    """Started once the pool exists, in the main process only (no socket to inherit)."""
    settings = get_settings()
    if settings.WORKER_METRICS_PORT:
        metrics.serve(settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT)


# Registers the tasks on `app` (imported last: the tasks modules import `app`).
from orgair_worker import tasks, warehouse_export  # noqa: E402

app.steps["consumer"].add(warehouse_export.WarehouseExportSchedule)

__all__ = ["app", "tasks", "warehouse_export"]
