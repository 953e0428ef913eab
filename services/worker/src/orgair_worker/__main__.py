"""`python -m orgair_worker`: run the worker; `python -m orgair_worker healthcheck`: probe it.

python -m orgair_worker [celery worker options]   prefork pool of WORKER_CONCURRENCY
                                                  processes consuming the job queue
python -m orgair_worker healthcheck [--ready]     exit 0 when the heartbeat file is
                                                  fresh (--ready: and the broker answers)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from orgair_config import Settings, load_settings_or_exit
from orgair_worker.health import STALE_AFTER_BEATS, check_heartbeat

SERVICE = "worker"


def healthcheck(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m orgair_worker healthcheck")
    parser.add_argument(
        "--max-age",
        type=float,
        default=STALE_AFTER_BEATS * settings.WORKER_HEARTBEAT_INTERVAL_SECONDS,
        help="seconds after which the heartbeat is stale (default: three intervals)",
    )
    parser.add_argument("--ready", action="store_true", help="also ping the broker")
    options = parser.parse_args(argv)
    status = check_heartbeat(Path(settings.WORKER_HEARTBEAT_FILE), options.max_age)
    if status.healthy and options.ready:
        import redis

        try:
            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
            )
            client.ping()
            client.close()
        except redis.RedisError as exc:
            print(f"worker: broker unreachable ({type(exc).__name__})", file=sys.stderr)  # noqa: T201
            return 1
    stream = sys.stdout if status.healthy else sys.stderr
    print(f"worker: {status.detail}", file=stream)
    return 0 if status.healthy else 1


def structured_console_messages(settings: Settings) -> None:
    """Celery's worker prints a few messages itself (the warning about running as root,
    "worker: Warm shutdown"); make them log lines like every other line.

    The root warning is a Python warning, emitted before Celery sets up logging:
    configure logging first and capture warnings. The shutdown messages are written
    from signal handlers by `celery.apps.worker.safe_say` with a bare `os.write` (no
    locks, safe there); in JSON mode it is replaced by a function that writes the same
    text as one JSON log line, with the same bare write.
    """
    import orjson

    from orgair_observability import configure_logging

    configure_logging(service=SERVICE, level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
    logging.captureWarnings(True)
    if settings.LOG_FORMAT != "json":
        return
    from celery.apps import worker as celery_worker

    def say_as_json_log_line(message: str, stream: TextIO | None = sys.__stderr__) -> None:
        record = {
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "level": "info",
            "event": str(message).strip(),
            "service": SERVICE,
            "logger": "celery.apps.worker",
            "correlation_id": None,
            "trace_id": None,
            "span_id": None,
        }
        if stream is None:
            return
        with contextlib.suppress(OSError, ValueError):
            os.write(stream.fileno(), orjson.dumps(record) + b"\n")

    celery_worker.safe_say = say_as_json_log_line


def run_worker(settings: Settings, argv: list[str]) -> None:
    # Before anything imports prometheus_client: pool processes write their samples there.
    from orgair_worker.metrics import use_multiprocess_dir

    use_multiprocess_dir()
    structured_console_messages(settings)
    from orgair_domain.jobs.queue import QUEUE
    from orgair_worker.app import app

    app.worker_main(
        [
            # No start-up banner on stdout: every line the worker writes is a log record
            # (one JSON object per line with LOG_FORMAT=json); the same facts are logged.
            "--quiet",
            "worker",
            "--pool=prefork",
            f"--concurrency={settings.WORKER_CONCURRENCY}",
            f"--loglevel={settings.LOG_LEVEL}",
            f"--queues={QUEUE}",
            "--hostname=orgair-worker@%h",
            # No worker-to-worker chatter over the broker: nothing here uses it, and
            # mingle would delay every start by seconds.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *argv,
        ]
    )


def main(argv: list[str]) -> int:
    settings = load_settings_or_exit(SERVICE)
    if argv[:1] == ["healthcheck"]:
        return healthcheck(settings, argv[1:])
    run_worker(settings, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
