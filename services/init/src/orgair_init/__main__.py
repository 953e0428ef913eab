"""`python -m orgair_init`: the compose/Kubernetes init job.

python -m orgair_init                       preflight, migrate, seed (exit 0 when all passed)
python -m orgair_init wait-for-migrations   wait until the schema is at head (init containers)
"""

from __future__ import annotations

import sys

from orgair_config import Settings, load_settings_or_exit
from orgair_init.job import run
from orgair_init.migrate import wait_for_head
from orgair_observability import configure_logging
from orgair_observability.entry_points import one_line_on_failure

USAGE = "usage: python -m orgair_init [wait-for-migrations]"


def main(argv: list[str]) -> int:
    settings: Settings = load_settings_or_exit("init")
    configure_logging(service="init", level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
    if not argv:
        return run(settings)
    if argv == ["wait-for-migrations"]:
        if wait_for_head(settings.database_url, timeout=settings.PREFLIGHT_TIMEOUT_SECONDS * 10):
            return 0
        print(  # noqa: T201
            "init: the database schema is not at the latest revision; is the init job running?",
            file=sys.stderr,
        )
        return 6
    print(USAGE, file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    with one_line_on_failure("init"):
        status = main(sys.argv[1:])
    sys.exit(status)
