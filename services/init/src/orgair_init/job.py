"""The init job: preflight, then migrations, then seed. Exit 0 only when all passed."""

from __future__ import annotations

import sys
from typing import TextIO

from orgair_config import Settings
from orgair_init.migrate import upgrade
from orgair_init.preflight import CheckResult, run_preflight
from orgair_init.seed import seed
from orgair_observability import get_logger
from orgair_observability.entry_points import describe_exception

log = get_logger(__name__)

EXIT_OK = 0
EXIT_PREFLIGHT_FAILED = 3
EXIT_MIGRATION_FAILED = 4
EXIT_SEED_FAILED = 5


def report(results: list[CheckResult], stream: TextIO) -> bool:
    for result in results:
        log.info("preflight_check", dependency=result.name, ok=result.ok, attempts=result.attempts)
        if not result.ok:
            print(f"init: preflight failed: {result.line()}", file=stream)
    return all(result.ok for result in results)


def run(settings: Settings, *, stream: TextIO = sys.stderr) -> int:
    if not report(run_preflight(settings), stream):
        return EXIT_PREFLIGHT_FAILED
    try:
        upgrade(settings.database_url)
    except Exception as exc:
        print(f"init: migration failed: {describe_exception(exc)}", file=stream)
        return EXIT_MIGRATION_FAILED
    log.info("migrations_applied")
    try:
        added = seed(settings)
    except Exception as exc:
        print(f"init: seed failed: {describe_exception(exc)}", file=stream)
        return EXIT_SEED_FAILED
    log.info("seed_applied", industries_added=added)
    return EXIT_OK
