"""`python -m orgair_init`: the compose/Kubernetes init job."""

from __future__ import annotations

import sys

from orgair_config import load_settings_or_exit
from orgair_init.job import run
from orgair_observability import configure_logging


def main() -> None:
    settings = load_settings_or_exit("init")
    configure_logging(service="init", level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
