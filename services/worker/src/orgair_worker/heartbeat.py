"""Liveness and readiness of a worker without asking it over the broker.

A consumer bootstep writes the heartbeat file every `WORKER_HEARTBEAT_INTERVAL_SECONDS`
from the worker's event loop. Consumer steps run only while the worker is connected
to the broker (Celery stops them when the connection drops and starts them again
after reconnecting), so a fresh file means: the main process is alive, its event
loop turns, and the broker is reachable. `python -m orgair_worker healthcheck`
(compose's healthcheck) just reads the file's age, instead of a `celery inspect ping`
round trip through the broker every few seconds.

A connection that hangs (a frozen broker) keeps the consumer "connected", so the file
is written only while the broker also answers the BrokerWatch's PINGs; the watch ends
the worker when the outage outlasts WORKER_BROKER_LOST_EXIT_SECONDS (broker_watch.py).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from celery import bootsteps

from orgair_observability import get_logger
from orgair_worker.broker_watch import BrokerWatch, redis_ping
from orgair_worker.health import write_heartbeat

log = get_logger(__name__)


class Heartbeat(bootsteps.StartStopStep):  # type: ignore[misc]
    """Consumer bootstep: beats while the consumer is connected to the broker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        from orgair_config import get_settings

        settings = get_settings()
        self.path = Path(settings.WORKER_HEARTBEAT_FILE)
        self.interval = settings.WORKER_HEARTBEAT_INTERVAL_SECONDS
        self._timer_entry: Any = None
        self.watch = BrokerWatch(
            redis_ping(settings.CELERY_BROKER_URL, timeout=min(self.interval, 5.0)),
            interval=self.interval,
            exit_after=settings.WORKER_BROKER_LOST_EXIT_SECONDS,
        )
        self.watch.start()

    def start(self, parent: Any) -> None:
        self._beat()
        self._timer_entry = parent.timer.call_repeatedly(self.interval, self._beat)
        log.info("heartbeat_started", path=str(self.path), interval_s=self.interval)

    def stop(self, parent: Any) -> None:
        # Stop beating but keep the file: it ages out, and the healthcheck then fails.
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None

    def shutdown(self, parent: Any) -> None:
        self.watch.stop()
        self.stop(parent)
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _beat(self) -> None:
        self.watch.loop_turned()
        if not self.watch.broker_recently_ok():
            return
        try:
            write_heartbeat(self.path)
        except OSError as exc:
            log.warning("heartbeat_write_failed", path=str(self.path), error=type(exc).__name__)
