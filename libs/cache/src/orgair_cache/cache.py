"""Cache-aside over Redis that never makes a request fail.

Redis is an accelerator here, not a source of truth: when it is unreachable
every read is a miss and the database answers. Two details keep answers
correct across an outage:

* after a failure the cache stays out of the way for `retry_after` seconds, so a
  dead Redis costs one short timeout per interval rather than one per request;
* invalidations that could not be delivered are remembered and replayed before
  the first read once Redis answers again, so a value changed during the outage
  is never served stale afterwards.

Reads come in two kinds: `get_or_load` for code in a worker thread (sync client),
and `aget_raw` + `load_and_store` for an endpoint on the event loop, which reads
the stored JSON bytes without leaving the loop and goes to the thread pool only
on a miss. Both share the outage state and the pending invalidations.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import redis
import redis.asyncio as aioredis
import structlog

T = TypeVar("T")
log = structlog.get_logger(__name__)

DEFAULT_NAMESPACE = "orgair:cache:v1"


class Cache:
    def __init__(
        self,
        client: redis.Redis,
        *,
        async_client: aioredis.Redis | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        retry_after: float = 5.0,
        on_read: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        # Its connections belong to one event loop: the one running when the cache
        # is built (a server's lifespan), else the first to read through it.
        self._async_client = async_client
        self._async_loop = _running_loop()
        self._namespace = namespace
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._pending_invalidations: set[str] = set()
        self.hits = 0
        self.misses = 0
        # Told "hit" or "miss" on every read: how a service feeds its metrics without
        # this library depending on one.
        self._on_read = on_read

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 0.25, **kwargs: Any) -> Cache:
        options: dict[str, Any] = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "health_check_interval": 30,
        }
        client = redis.Redis.from_url(url, **options)
        kwargs.setdefault("async_client", aioredis.Redis.from_url(url, **options))
        return cls(client, **kwargs)

    def key(self, *parts: object) -> str:
        return ":".join((self._namespace, *(str(part) for part in parts)))

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def get(self, key: str) -> Any | None:
        """The cached JSON value, or None on a miss or when Redis is unavailable."""
        raw = None
        if self._ready():
            try:
                raw = self._client.get(key)
            except redis.RedisError as exc:
                self._mark_down("get", exc)
        self._count("miss" if raw is None else "hit")
        return None if raw is None else orjson.loads(raw)

    def _count(self, result: str) -> None:
        if result == "hit":
            self.hits += 1
        else:
            self.misses += 1
        if self._on_read is not None:
            self._on_read(result)

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        if not self._ready():
            return
        try:
            self._client.set(key, orjson.dumps(value), ex=ttl_seconds)
        except redis.RedisError as exc:
            self._mark_down("set", exc)

    def get_or_load(self, key: str, ttl_seconds: int, load: Callable[[], T | None]) -> T | None:
        """Cache-aside read: the cached value, else `load()` stored for `ttl_seconds`.

        `load` must return JSON data (dicts, lists, str, numbers; None means "not found"
        and is not cached): a cached value is that data after a JSON round trip.
        """
        cached = self.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        return self.load_and_store(key, ttl_seconds, load)

    def load_and_store(self, key: str, ttl_seconds: int, load: Callable[[], T | None]) -> T | None:
        """The miss half of `get_or_load`, for a caller that has read `key` and missed."""
        value = load()
        if value is not None:
            self.set(key, value, ttl_seconds)
        return value

    async def aget_raw(self, key: str) -> bytes | None:
        """The cached value's stored JSON bytes, read on the event loop; None on a miss
        or when Redis is unavailable (counted like `get`).

        The bytes are what `set` stored (`orjson.dumps` of the value), so a caller may
        send them as they are instead of decoding and encoding them again.
        """
        client = self._async_client
        loop = asyncio.get_running_loop()
        if self._async_loop is None:
            self._async_loop = loop
        if client is None or loop is not self._async_loop:
            # No async client, or called from another event loop than the one its
            # connections belong to (a test client without its lifespan): the
            # sync read, off the loop.
            return await asyncio.to_thread(self._get_raw, key)
        raw: bytes | None = None
        if await self._aready(client):
            try:
                raw = _as_bytes(await client.get(key))
            except redis.RedisError as exc:
                self._mark_down("get", exc)
        self._count("miss" if raw is None else "hit")
        return raw

    def _get_raw(self, key: str) -> bytes | None:
        raw: bytes | None = None
        if self._ready():
            try:
                raw = _as_bytes(self._client.get(key))
            except redis.RedisError as exc:
                self._mark_down("get", exc)
        self._count("miss" if raw is None else "hit")
        return raw

    def invalidate(self, *keys: str) -> None:
        """Drop keys; if Redis cannot be reached now, drop them when it can."""
        if not keys:
            return
        with self._lock:
            self._pending_invalidations.update(keys)
        self._ready()

    def _ready(self) -> bool:
        """True when Redis may be used now, after replaying missed invalidations."""
        if not self.available:
            return False
        with self._lock:
            pending = list(self._pending_invalidations)
        if not pending:
            return True
        try:
            self._client.delete(*pending)
        except redis.RedisError as exc:
            self._mark_down("invalidate", exc)
            return False
        with self._lock:
            self._pending_invalidations.difference_update(pending)
        return True

    async def _aready(self, client: aioredis.Redis) -> bool:
        """`_ready` for the event loop: the same replay, through the async client."""
        if not self.available:
            return False
        with self._lock:
            pending = list(self._pending_invalidations)
        if not pending:
            return True
        try:
            await client.delete(*pending)
        except redis.RedisError as exc:
            self._mark_down("invalidate", exc)
            return False
        with self._lock:
            self._pending_invalidations.difference_update(pending)
        return True

    def _mark_down(self, operation: str, exc: redis.RedisError) -> None:
        first = self.available
        self._down_until = time.monotonic() + self._retry_after
        if first:  # one warning per outage interval, not one per request
            log.warning(
                "cache_unavailable",
                operation=operation,
                error=type(exc).__name__,
                retry_after_s=self._retry_after,
            )

    def ping(self) -> None:
        """Raises when Redis does not answer (for readiness checks; bypasses the back-off)."""
        self._client.ping()

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        """`close`, and the async client's connections when called on their loop."""
        self._client.close()
        if self._async_client is not None and self._async_loop in (None, _running_loop()):
            await self._async_client.aclose()


def _as_bytes(value: object) -> bytes | None:
    """A GET's answer as bytes (a client made with ``decode_responses`` returns str)."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"unexpected cache value of type {type(value).__name__}")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
