"""Run an HTTP service under uvicorn the way every service of the platform runs."""

from __future__ import annotations

import gc
from typing import Any

from orgair_config import Settings
from orgair_observability.http_protocol import bounded_http_protocol

__all__ = ["serve_http", "server_options"]


def server_options(settings: Settings) -> dict[str, Any]:
    """The `uvicorn.Config` options of every service (tests serve with the same ones)."""
    return {
        "log_config": None,  # structlog owns the log format
        "access_log": False,  # the correlation middleware writes one access line per request
        "http": bounded_http_protocol(
            header_timeout=settings.HTTP_HEADER_TIMEOUT_SECONDS,
            max_header_bytes=settings.HTTP_MAX_HEADER_BYTES,
        ),
        # X-Forwarded-For/-Proto are believed from TRUSTED_PROXIES only; by default from
        # nobody (uvicorn's own default trusts loopback, so any local process, or a
        # proxy on the same host that passes the header through, could choose the
        # address a caller's failed attempts are counted under).
        "proxy_headers": bool(settings.TRUSTED_PROXIES),
        "forwarded_allow_ips": list(settings.TRUSTED_PROXIES),
        "timeout_keep_alive": settings.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS,
        # Connections and requests in progress; beyond it, 503 problems.
        "limit_concurrency": settings.HTTP_MAX_CONCURRENCY,
        "timeout_graceful_shutdown": 10,
    }


def serve_http(app: Any, settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    # What is loaded by now (modules, classes, routes, models: ~200k objects in a
    # service) lives as long as the process. Frozen, it is left out of every pass of
    # the cyclic collector, which otherwise walks all of it again on each full
    # collection (measured: ~15 us of collector time less per request, and no
    # full-heap pause in the tail latency; the worker does the same per process).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, **server_options(settings))
