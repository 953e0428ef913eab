"""Run an HTTP service under uvicorn the way every service of the platform runs."""

from __future__ import annotations

from typing import Any


def serve_http(app: Any, *, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # structlog owns the log format
        access_log=False,  # the correlation middleware writes one access line per request
        # X-Forwarded-* are trusted from loopback only (uvicorn's default), so a caller
        # cannot choose the address its failed attempts are counted under.
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
