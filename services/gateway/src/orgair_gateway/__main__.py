"""`python -m orgair_gateway`: validate settings, then serve on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

from orgair_config import Settings, load_settings_or_exit
from orgair_gateway.app import SERVICE, create_app
from orgair_observability.serving import serve_http


def main() -> None:
    settings: Settings = load_settings_or_exit(SERVICE)
    serve_http(
        create_app(settings), settings, host=settings.GATEWAY_HOST, port=settings.GATEWAY_PORT
    )


if __name__ == "__main__":
    main()
