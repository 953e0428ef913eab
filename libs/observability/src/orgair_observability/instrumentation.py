"""OpenTelemetry instrumentation of the client libraries the services use.

Each function is safe to call more than once per process. Celery must be
instrumented inside each worker process (`worker_process_init`), after the fork:
span processors and exporter threads do not survive a fork.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

__all__ = [
    "instrument_aiohttp_client",
    "instrument_celery",
    "instrument_redis",
    "instrument_sqlalchemy",
]

_lock = threading.Lock()
_done: set[str] = set()
_engines: set[int] = set()


def _once(name: str) -> bool:
    with _lock:
        if name in _done:
            return False
        _done.add(name)
        return True


def instrument_sqlalchemy(engine: Engine) -> None:
    """Spans for every statement `engine` runs (one instrumentation per engine)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    with _lock:
        if id(engine) in _engines:
            return
        _engines.add(id(engine))
    SQLAlchemyInstrumentor().instrument(engine=engine, enable_commenter=False)


def instrument_redis() -> None:
    if _once("redis"):
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().instrument()


def instrument_aiohttp_client() -> None:
    """Client spans plus `traceparent` on every outgoing aiohttp request."""
    if _once("aiohttp-client"):
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

        AioHttpClientInstrumentor().instrument()


def instrument_celery() -> None:
    """Producer spans when enqueuing and consumer spans around each task; the trace
    context travels in the task headers."""
    if _once("celery"):
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        CeleryInstrumentor().instrument()  # type: ignore[no-untyped-call]
