"""The worker's Prometheus metrics, gathered from every pool process.

Tasks run in prefork pool processes, so each process writes its samples to files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode) and the main
process serves their sum on `WORKER_METRICS_HOST:WORKER_METRICS_PORT/metrics`. The
mode is chosen when prometheus_client is first imported: `use_multiprocess_dir()`
must run before anything imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_task_started: dict[str, float] = {}


def use_multiprocess_dir() -> Path:
    """A fresh folder for this worker's samples (a restart must not count old runs)."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        folder = Path(configured)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="orgair-worker-metrics-"))
        os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def serve(host: str, port: int) -> None:
    """Serve the sum over every process's samples (a daemon thread of the main process)."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    from orgair_observability import get_logger

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        # Metrics are for operators; a taken port must not stop the worker from working.
        get_logger(__name__).warning(
            "worker_metrics_unavailable", host=host, port=port, error=str(exc)
        )


def task_started(task_id: str | None) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def task_finished(task_id: str | None, task_name: str, state: Any) -> None:
    from orgair_observability.metrics import WORKER_TASK_DURATION

    started = _task_started.pop(task_id, None) if task_id else None
    if started is not None:
        outcome = str(state or "UNKNOWN").lower()
        WORKER_TASK_DURATION.labels(task_name, outcome).observe(time.perf_counter() - started)
