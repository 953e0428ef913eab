"""Exit when the worker has been cut off from its broker for longer than a bound.

Docker restarts a container when its main process exits, never because it turned
unhealthy; Kubernetes restarts on a failed liveness probe, compose does not. So the
worker itself ends a long outage: a thread in the main process pings the broker every
heartbeat interval (one Redis PING with a short socket timeout, on its own
connection) and watches the consumer's event loop turn. When either has not been seen
working for `WORKER_BROKER_LOST_EXIT_SECONDS`, it logs why and asks for a warm shutdown
(SIGTERM, as `docker stop` would); if the worker is still alive `EXIT_GRACE_SECONDS`
later (a task blocked on the lost connection), it exits at once with status 70. The
restart policy then starts a fresh worker, which connects when the broker is back.
Tasks are acknowledged late: what the old worker held unacknowledged is delivered
again, and the job's row lock makes a chunk's writes happen once.

A freeze (`docker pause` of Redis: connections open, nothing answers) and a cut
(network gone: connections fail) end the same way. Shorter outages are ridden out in
place: Celery reconnects and the heartbeat resumes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import redis

from orgair_observability import get_logger

log = get_logger(__name__)

EXIT_GRACE_SECONDS = 10.0
EXIT_STATUS = 70  # EX_SOFTWARE: the restart policy, not the exit code, decides what follows


def redis_ping(url: str, timeout: float) -> Callable[[], bool]:
    """A probe that answers whether the Redis at `url` replies to PING within `timeout`."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)

    def ping() -> bool:
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            client.connection_pool.disconnect()
            return False

    return ping


class BrokerWatch:
    """Liveness of the broker and of the consumer's event loop, and the exit past a bound."""

    def __init__(
        self,
        ping: Callable[[], bool],
        *,
        interval: float,
        exit_after: float,
        clock: Callable[[], float] = time.monotonic,
        terminate: Callable[[], None] | None = None,
        exit_now: Callable[[int], None] = os._exit,
        grace: float = EXIT_GRACE_SECONDS,
    ) -> None:
        self._ping = ping
        self.interval = interval
        self.exit_after = exit_after
        self._clock = clock
        self._terminate = terminate or (lambda: os.kill(os.getpid(), signal.SIGTERM))
        self._exit_now = exit_now
        self._grace = grace
        now = clock()
        # Counting starts now: a worker that never reaches its broker exits too.
        self.broker_ok_at = now
        self.loop_alive_at = now
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    # Called from the consumer's event loop (the heartbeat timer).
    def loop_turned(self) -> None:
        self.loop_alive_at = self._clock()

    def broker_recently_ok(self) -> bool:
        """The last PING answered (within two intervals): the heartbeat may be written."""
        return self._clock() - self.broker_ok_at <= 2 * self.interval

    def check_once(self) -> str | None:
        """Ping, then the reason to exit (None: keep running)."""
        now = self._clock()
        if self._ping():
            self.broker_ok_at = self._clock()
        elif now - self.broker_ok_at > self.interval:
            log.warning("broker_unreachable", unreachable_s=round(now - self.broker_ok_at, 1))
        if now - self.broker_ok_at > self.exit_after:
            return f"broker unreachable for {now - self.broker_ok_at:.0f} s"
        if now - self.loop_alive_at > self.exit_after:
            return f"consumer event loop silent for {now - self.loop_alive_at:.0f} s"
        return None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="broker-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            reason = self.check_once()
            if reason is not None and not self._stopped.is_set():
                self._exit(reason)
                return

    def _exit(self, reason: str) -> None:
        log.error("broker_lost_exiting", reason=reason, limit_s=self.exit_after,
                  grace_s=self._grace)  # fmt: skip
        self._terminate()
        if not self._stopped.wait(self._grace):
            log.error("broker_lost_exit_forced", reason=reason)
        # Reached also when the warm shutdown finished in time: the process is ending.
        self._exit_now(EXIT_STATUS)
