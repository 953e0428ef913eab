"""The periodic warehouse export: every WAREHOUSE_EXPORT_INTERVAL_SECONDS (0 = off).

No separate beat process to deploy and keep single: every worker's consumer runs a small
timer (a bootstep, like the heartbeat) that tries to claim the current interval in Redis
(`SET … NX EX interval`). The one worker that claims it publishes the export task; a
worker that starts, stops or scales out changes nothing. Whichever pool process runs the
task first takes the export lock (`orgair_warehouse.lock`), so an export that outlasts
the interval is never joined by a second one: the next task finds the lock taken and is
skipped, and the run after that continues where the long one stopped.

A run stops starting batches after WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS (below the task's
soft time limit) and leaves the rest to the next run. Failures are retried inside the
export (per batch) and then reported: a log line, `orgair_warehouse_exports_total
{outcome="failed"}` and the per-table failure counter; the task itself does not retry,
the next interval does.
"""

from __future__ import annotations

from typing import Any

import redis
from celery import bootsteps
from kombu.exceptions import OperationalError as BrokerError

from orgair_config import get_settings
from orgair_domain.jobs.queue import QUEUE
from orgair_observability import get_logger
from orgair_worker.app import app
from orgair_worker.runtime import resources

log = get_logger(__name__)

EXPORT_TASK = "orgair.warehouse.export"
SCHEDULE_KEY = "orgair:warehouse:export:due"
# Ticks per interval: a claim is tried this often, so runs start at most a tick late.
TICKS_PER_INTERVAL = 10
MIN_TICK_SECONDS = 1.0


class WarehouseExportSchedule(bootsteps.StartStopStep):  # type: ignore[misc]
    """Consumer bootstep: claims each export interval in Redis and publishes the task."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        settings = get_settings()
        self.interval = settings.WAREHOUSE_EXPORT_INTERVAL_SECONDS
        self.broker_url = settings.CELERY_BROKER_URL
        self._client: redis.Redis | None = None
        self._timer_entry: Any = None

    def start(self, parent: Any) -> None:
        if not self.interval:
            return
        self._client = redis.Redis.from_url(
            self.broker_url, socket_connect_timeout=2, socket_timeout=2
        )
        tick = max(MIN_TICK_SECONDS, self.interval / TICKS_PER_INTERVAL)
        self._claim(parent.app)
        self._timer_entry = parent.timer.call_repeatedly(tick, self._claim, (parent.app,))
        log.info("warehouse_export_scheduled", interval_s=self.interval, tick_s=tick)

    def stop(self, parent: Any) -> None:
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _claim(self, celery_app: Any) -> None:
        if self._client is None:
            return
        try:
            if self._client.set(SCHEDULE_KEY, "claimed", nx=True, ex=self.interval):
                celery_app.send_task(EXPORT_TASK, queue=QUEUE)
        except (redis.RedisError, BrokerError) as exc:
            # The broker is away: no task could run anyway; the next tick tries again.
            log.warning("warehouse_export_not_scheduled", error=type(exc).__name__)


@app.task(name=EXPORT_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
def export_to_warehouse() -> str:
    """One export run; returns its outcome (complete, partial, failed, skipped)."""
    from orgair_warehouse.lock import export_lock
    from orgair_warehouse.platform import platform_exporter
    from orgair_warehouse.runs import run_export

    settings = get_settings()
    if not settings.warehouse_configured:
        log.warning("warehouse_export_skipped", reason="no warehouse configured")
        return "skipped"
    exporter = platform_exporter(settings, resources().database.engine)
    try:
        run = run_export(
            exporter,
            export_lock(settings),
            time_budget_seconds=settings.WAREHOUSE_EXPORT_TIME_BUDGET_SECONDS,
        )
    finally:
        exporter.warehouse.dispose()
    if run.outcome == "failed":
        log.error("warehouse_export_failed", error=run.error)
    else:
        log.info("warehouse_export_run", outcome=run.outcome, summary=run.line)
    return run.outcome
