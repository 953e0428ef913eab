"""`python -m orgair_scoring_api`: validate settings, then serve on SCORING_HOST:SCORING_PORT."""

from __future__ import annotations

from orgair_config import Settings, load_settings_or_exit
from orgair_observability.serving import serve_http
from orgair_scoring_api.app import SERVICE, create_app


def main() -> None:
    settings: Settings = load_settings_or_exit(SERVICE)
    serve_http(
        create_app(settings), settings, host=settings.SCORING_HOST, port=settings.SCORING_PORT
    )


if __name__ == "__main__":
    main()
