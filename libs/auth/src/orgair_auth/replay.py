"""Single-use identity signatures: every nonce is remembered until its signature expires.

Scoring asks `ReplayGuard.first_use(nonce, valid_until)` after a signature
verified; only the first request with a nonce gets True. The nonce is kept
(``SET NX`` with an expiry) in the Redis every scoring replica shares, until the
signature would be refused as stale anyway (its timestamp plus the skew window),
so the set of remembered nonces stays bounded by the request rate times the window.

Nonces that arrive together are claimed in one script call (the script takes any
number of them): one round trip and one command for a burst instead of one each,
as the gateway's rate limiter does. A request waits at most one event-loop turn
for its batch.

Redis unavailable: each replica remembers the nonces it saw itself, in a bounded
in-process table, and a warning is logged (at most once a minute). Replays to the
same replica are still refused; a replay to *another* replica within the skew
window is not, for as long as Redis is down. The alternative, refusing every
request while Redis is down, would turn a cache outage into an API outage, which
the platform does not do (DESIGN §5: "Redis down means slower, never failing").
Redis is not tried again for `RETRY_AFTER_FAILURE_SECONDS` after a failure, so a
dead Redis costs one short timeout per interval rather than one per request.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

import redis.asyncio as aioredis
import structlog
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

__all__ = ["NAMESPACE", "ReplayGuard"]

log = structlog.get_logger(__name__)

NAMESPACE = "orgair:identity-nonce:v2"
RETRY_AFTER_FAILURE_SECONDS = 2.0
OUTAGE_LOG_INTERVAL_SECONDS = 60.0
# Nonces kept per replica while Redis is down (oldest dropped first: at 10k requests
# a second and a 30 s window that is a third of one window, and a replay needs the
# same replica too).
LOCAL_CAPACITY = 100_000

Clock = Callable[[], float]

# KEYS[i]: a nonce's key; ARGV[i]: how long to keep it (ms). A key may repeat within
# a batch: only its first occurrence is new. Returns {1 or 0, ...} (1 = first use).
_CLAIM_SCRIPT = """
local result = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'PX', ARGV[i]) then
    result[i] = 1
  else
    result[i] = 0
  end
end
return result
"""

_Pending = tuple[str, int, "asyncio.Future[bool | None]"]


class ReplayGuard:
    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 0.25,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        local_capacity: int = LOCAL_CAPACITY,
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._client: aioredis.Redis | None = None
        self._script: AsyncScript | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._down_until = float("-inf")
        self._last_warning = float("-inf")
        self._local: OrderedDict[str, float] = OrderedDict()
        self._local_capacity = local_capacity
        self._pending: list[_Pending] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self.last_error: str | None = None

    async def first_use(self, nonce: str, valid_until: float) -> bool:
        """True the first time `nonce` is presented (it is remembered until
        `valid_until`, Unix seconds); False for every later use."""
        if self._monotonic() >= self._down_until:
            ttl_ms = max(1, int((valid_until - self._clock()) * 1000) + 1000)
            future: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
            self._pending.append((f"{NAMESPACE}:{nonce}", ttl_ms, future))
            if len(self._pending) == 1:
                # Runs on the next loop turn: every nonce claimed before then joins it.
                task = asyncio.create_task(self._flush())
                self._flushes.add(task)
                task.add_done_callback(self._flushes.discard)
            claimed = await future
            if claimed is not None:
                return claimed
        return self._first_use_locally(nonce, valid_until)

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        results: list[bool | None]
        try:
            flags = await self._claim_script()(
                keys=[key for key, _, _ in batch], args=[ttl for _, ttl, _ in batch]
            )
        except (RedisError, OSError) as exc:
            self._record_failure(exc)
            results = [None] * len(batch)
        else:
            self.last_error = None
            results = [bool(flag) for flag in flags]
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():  # the request may have been cancelled meanwhile
                future.set_result(result)

    async def close(self) -> None:
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        client, self._client = self._client, None
        # A client opened on another (by now closed) loop has nothing left to close here.
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()

    def _claim_script(self) -> AsyncScript:
        # Connections belong to the event loop that opened them; a caller on another
        # loop (a test client without its lifespan) gets a client of its own.
        loop = asyncio.get_running_loop()
        if self._client is None or self._script is None or self._client_loop is not loop:
            self._client = aioredis.Redis.from_url(
                self._url,
                socket_connect_timeout=self._timeout,
                socket_timeout=self._timeout,
                retry_on_timeout=False,
            )
            self._script = self._client.register_script(_CLAIM_SCRIPT)
            self._client_loop = loop
        return self._script

    def _first_use_locally(self, nonce: str, valid_until: float) -> bool:
        now = self._clock()
        local = self._local
        while local:
            oldest, expires = next(iter(local.items()))
            if expires > now and len(local) < self._local_capacity:
                break
            del local[oldest]
        seen_until = local.get(nonce)
        if seen_until is not None and seen_until > now:
            return False
        local[nonce] = valid_until
        local.move_to_end(nonce)
        return True

    def _record_failure(self, exc: BaseException) -> None:
        now = self._monotonic()
        self._down_until = now + RETRY_AFTER_FAILURE_SECONDS
        self.last_error = type(exc).__name__
        if now - self._last_warning >= OUTAGE_LOG_INTERVAL_SECONDS:
            self._last_warning = now
            log.warning(
                "replay_guard_degraded",
                error_type=type(exc).__name__,
                detail="Redis unreachable: nonces are remembered by this replica only",
            )
