"""`python -m orgair_gateway`: validate settings, then serve on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

import uvicorn

from orgair_config import Settings, load_settings_or_exit
from orgair_gateway.app import SERVICE, create_app


def main() -> None:
    settings: Settings = load_settings_or_exit(SERVICE)
    uvicorn.run(
        create_app(settings),
        host=settings.GATEWAY_HOST,
        port=settings.GATEWAY_PORT,
        log_config=None,  # structlog owns the log format
        access_log=False,  # the correlation middleware writes one access line per request
        # X-Forwarded-* are trusted from loopback only (uvicorn's default), so a
        # caller cannot choose the address its failed attempts are counted under.
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
