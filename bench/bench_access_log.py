"""Benchmark: one access line through the logging pipeline, three ways, same run.

    uv run python bench/bench_access_log.py [--lines 20000] [--rounds 7] [--reference REV]

The line is the gateway's `request_completed` (what every proxied request pays),
logged as in a request: inside an OpenTelemetry span, with `correlation_id` and
`caller_id` bound through `structlog.contextvars`, a few secret values registered,
JSON format, written to /dev/null through the root handler. Measured:

  (a) current     `orgair_observability.logging` as shipped: structlog's filtering
                  bound logger, cached, event dict handed to the root handler; the
                  logger held as `CorrelationIdMiddleware` holds it, and (a') through
                  the lazy proxy that `get_logger` returns
  (b) reference   the same modules (logging and redaction) at git revision REV
                  (default: the last revision with the hand-written `Logger`, which
                  read structlog's private context registry and configuration),
                  loaded from `git show`
  (c) stdlib      the current processors, the event routed the way structlog
                  documents for `logging` integration: `wrap_for_formatter` ->
                  `logging.Logger` -> `LogRecord` -> the handler's `ProcessorFormatter`

Rounds alternate (a, a', b, c, a, a', b, c, ...) so that a busy neighbour on the machine
slows all three alike; each figure is the median of the rounds. It also checks that
(a) and (b) write the same line (apart from the timestamp). Prints µs per line and
the ratios to (a).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import structlog
from opentelemetry import trace

import orgair_observability.logging as current
from orgair_observability import configure_tracing, register_secret_values

REPOSITORY = Path(__file__).resolve().parent.parent
LOGGING_PATH = "libs/observability/src/orgair_observability/logging.py"
REDACTION_PATH = "libs/observability/src/orgair_observability/redaction.py"
# The last revision with the hand-written logger (before structlog's native path).
REFERENCE_REVISION = "34a04a0"
ACCESS_FIELDS = {
    "method": "GET",
    "path": "/api/v1/companies/6f1c1bde-8a0f-4a57-9a8e-2f0b4c1d2e3f",
    "status": 200,
    "duration_ms": 1.234,
}


def git_show(revision: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPOSITORY), "show", f"{revision}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def load_reference(revision: str) -> ModuleType | None:
    """The logging module as it was at `revision`, with the redaction module of the same
    revision (both are on the line's path), imported under other names."""
    try:
        logging_source = git_show(revision, LOGGING_PATH)
        redaction_source = git_show(revision, REDACTION_PATH)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"reference {revision} not available ({exc}); measuring (a) and (c) only")
        return None
    logging_source = logging_source.replace(
        "from orgair_observability.redaction import", "from orgair_reference_redaction import"
    )
    folder = Path(tempfile.mkdtemp(prefix="orgair-bench-log-"))
    import_from(folder, "orgair_reference_redaction", redaction_source)
    return import_from(folder, "orgair_reference_logging", logging_source)


def import_from(folder: Path, name: str, source: str) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


Setup = Callable[[Any], Callable[[], None]]


class Way:
    """One way to write the access line: `setup(stream)` configures it and returns the call."""

    def __init__(self, name: str, setup: Setup) -> None:
        self.name = name
        self.setup = setup
        self.rounds: list[float] = []

    def run(self, stream: Any, lines: int) -> None:
        """Configure, warm up, then time `lines` calls (µs per line)."""
        log_line = self.setup(stream)
        for _ in range(200):
            log_line()
        started = time.process_time_ns()
        for _ in range(lines):
            log_line()
        self.rounds.append((time.process_time_ns() - started) / lines / 1000)

    def one_line(self) -> dict[str, Any]:
        """The line this way writes, parsed, without its timestamp."""
        with tempfile.TemporaryFile("w+") as buffer:
            self.setup(buffer)()
            buffer.seek(0)
            parsed: dict[str, Any] = json.loads(buffer.read())
        parsed.pop("timestamp")
        return parsed


def access_line(log: Any) -> Callable[[], None]:
    def line() -> None:
        log.info("request_completed", **ACCESS_FIELDS)

    return line


def configure(module: ModuleType, stream: Any) -> None:
    module.configure_logging(service="gateway", level="INFO", fmt="json", stream=stream)


def current_way(stream: Any) -> Callable[[], None]:
    """As `CorrelationIdMiddleware` writes it: the logger assembled once."""
    configure(current, stream)
    return access_line(current.get_logger("orgair.access").bind())


def current_proxy_way(stream: Any) -> Callable[[], None]:
    """Through the module-level lazy proxy (every other `get_logger` logger)."""
    configure(current, stream)
    return access_line(current.get_logger("orgair.access"))


def reference_way(module: ModuleType) -> Setup:
    def setup(stream: Any) -> Callable[[], None]:
        configure(module, stream)
        return access_line(module.get_logger("orgair.access"))

    return setup


def stdlib_way(stream: Any) -> Callable[[], None]:
    configure(current, stream)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            current.add_standard_fields,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
    )
    return access_line(structlog.get_logger("orgair.access"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="log calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reference", default=REFERENCE_REVISION, help="git revision of (b)")
    args = parser.parse_args()

    configure_tracing(
        service="gateway", version="bench", environment="development", otlp_endpoint=None
    )
    secrets = [f"bench-secret-value-{index:02d}-0123456789" for index in range(4)]
    register_secret_values(secrets)
    reference = load_reference(args.reference)
    if reference is not None:
        reference.register_secret_values(secrets)
    ways = [Way("current", current_way), Way("current, via proxy", current_proxy_way)]
    if reference is not None:
        ways.append(Way(f"reference {args.reference}", reference_way(reference)))
    ways.append(Way("stdlib route", stdlib_way))

    structlog.contextvars.bind_contextvars(
        correlation_id="3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60", caller_id="42"
    )
    with trace.get_tracer("bench").start_as_current_span("GET /api/v1/companies/{id}"):
        lines = [way.one_line() for way in ways]
        with Path(os.devnull).open("w") as devnull:
            for _ in range(args.rounds):
                for way in ways:
                    way.run(devnull, args.lines)

    print(
        f"{args.lines} access lines x {args.rounds} rounds, JSON to /dev/null, "
        f"{os.cpu_count()} CPUs, same run (median of rounds)"
    )
    baseline = statistics.median(ways[0].rounds)
    print(f"  {'way':<22}{'us/line':>10}{'min':>8}{'max':>8}{'vs current':>12}")
    for way in ways:
        median = statistics.median(way.rounds)
        print(
            f"  {way.name:<22}{median:>10.2f}{min(way.rounds):>8.2f}{max(way.rounds):>8.2f}"
            f"{median / baseline:>11.2f}x"
        )
    print(f"  all ways write the same line (timestamp aside): {all(x == lines[0] for x in lines)}")
    for way, line in zip(ways, lines, strict=True):
        if line != lines[0]:
            print(f"    {way.name}: {line}")


if __name__ == "__main__":
    main()
