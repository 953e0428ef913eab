"""One export at a time, across processes and machines: a lock in Redis.

The lock expires after `ttl_seconds` unless its holder extends it, which the export does
after every batch; so a holder that dies frees it within the TTL, and a live one keeps
it for as long as it works. The lock saves duplicate work; correctness never depends on
it: each batch only commits if the table's high-water mark is still the version it read.
"""

from __future__ import annotations

import contextlib
from types import TracebackType

import redis
from redis.exceptions import LockError

from orgair_config import Settings

LOCK_KEY = "orgair:warehouse:export:lock"


class ExportLockLost(RuntimeError):
    """The lock expired (a batch outlasted its TTL) and may be held by another export now."""


class ExportLock:
    def __init__(self, client: redis.Redis, ttl_seconds: float, *, key: str = LOCK_KEY) -> None:
        self.ttl_seconds = ttl_seconds
        self._lock = client.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)

    def acquire(self) -> bool:
        """True when this caller holds the lock now; False when another export does."""
        return bool(self._lock.acquire(blocking=False))

    def extend(self) -> None:
        """Reset the TTL (after each batch); raises ExportLockLost when it is no longer ours."""
        try:
            self._lock.reacquire()
        except LockError as exc:
            raise ExportLockLost("the export lock expired while the export was running") from exc

    def release(self) -> None:
        """Free it now (else it expires after the TTL anyway)."""
        # Expired already, or Redis is away: the TTL frees it.
        with contextlib.suppress(LockError, redis.RedisError):
            self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def export_lock(settings: Settings) -> ExportLock:
    """The lock in the broker's Redis (shared by every worker, never evicted there).

    Its TTL is the task hard time limit: a periodic export is killed by then at the latest.
    """
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=5
    )
    return ExportLock(client, float(settings.CELERY_TASK_TIME_LIMIT_SECONDS))
