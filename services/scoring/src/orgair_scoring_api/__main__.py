"""`python -m orgair_scoring_api`: validate settings, then serve on SCORING_HOST:SCORING_PORT."""

from __future__ import annotations

import uvicorn

from orgair_config import Settings, load_settings_or_exit
from orgair_scoring_api.app import SERVICE, create_app


def main() -> None:
    settings: Settings = load_settings_or_exit(SERVICE)
    uvicorn.run(
        create_app(settings),
        host=settings.SCORING_HOST,
        port=settings.SCORING_PORT,
        log_config=None,  # structlog owns the log format
        access_log=False,  # the correlation middleware writes one access line per request
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
