"""Fixed-window rate limits in Redis, shared by every gateway process.

One Lua script increments a window's counter and reads its remaining time in
a single atomic step, so concurrent requests from any number of gateway
processes are counted exactly: with a quota of N, exactly N requests of a
window pass. The window starts with its first request and lasts
`window_seconds`; the key expires with it.

The counts of requests that arrive together are sent as one script call (the
script takes any number of counters): one round trip and one command for a
burst instead of one each. Measured through the gateway, per-request Redis
commands were a quarter of its CPU time (bench/bench_gateway_proxy.py). A
request waits at most one event-loop turn for its batch.

Redis unavailable means *fail open*: requests are served without a limit (an
outage of the limiter must not become an outage of the API), a warning is
logged at most once per `OUTAGE_LOG_INTERVAL_SECONDS`, Redis is not tried again
for `RETRY_AFTER_FAILURE_SECONDS` (so requests do not each wait for a timeout),
and `/readyz` reports it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from orgair_observability import get_logger

__all__ = ["RateLimitDecision", "RateLimitPolicy", "RateLimiter"]

log = get_logger(__name__)

NAMESPACE = "orgair:ratelimit:v1"
OUTAGE_LOG_INTERVAL_SECONDS = 60.0
RETRY_AFTER_FAILURE_SECONDS = 2.0

# KEYS[i]: a window counter; ARGV[i]: its window length in ms (a key may repeat:
# each occurrence is one request). Returns {count_1, ms_left_1, count_2, ...}.
_HIT_SCRIPT = """
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then
    redis.call('PEXPIRE', key, ARGV[i])
  end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  result[#result + 1] = count
  result[#result + 1] = ttl
end
return result
"""

_Pending = tuple[str, int, "asyncio.Future[tuple[int, int] | None]"]


@dataclass(frozen=True)
class RateLimitPolicy:
    """`quota` requests per `window_seconds` for each subject (an API key, an address)."""

    name: str
    quota: int
    window_seconds: int = 60

    @property
    def header(self) -> str:
        # RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers): "name";q=quota;w=window
        return f'"{self.name}";q={self.quota};w={self.window_seconds}'


@dataclass(frozen=True)
class RateLimitDecision:
    policy: RateLimitPolicy
    allowed: bool
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        """`RateLimit-Policy` and `RateLimit`, plus `Retry-After` when refused."""
        headers = [
            ("RateLimit-Policy", self.policy.header),
            ("RateLimit", f'"{self.policy.name}";r={self.remaining};t={self.reset_seconds}'),
        ]
        if not self.allowed:
            headers.append(("Retry-After", str(self.reset_seconds)))
        return headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers()` as an ASGI response carries them (lower-case byte names)."""
        return [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers()
        ]


class RateLimiter:
    def __init__(
        self, client: aioredis.Redis, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._script = client.register_script(_HIT_SCRIPT)
        self._clock = clock
        self._down_until = 0.0
        self._last_warning = -OUTAGE_LOG_INTERVAL_SECONDS
        self.last_error: str | None = None
        self._pending: list[_Pending] = []
        self._flushes: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(
        cls, url: str, *, timeout_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> RateLimiter:
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            # A failed command is reported now; the next request tries again.
            retry_on_timeout=False,
        )
        return cls(client, clock=clock)

    async def hit(self, policy: RateLimitPolicy, subject: str) -> RateLimitDecision | None:
        """Count one request of `subject`; None when Redis is unavailable (fail open)."""
        if self._clock() < self._down_until:
            return None
        future: asyncio.Future[tuple[int, int] | None] = asyncio.get_running_loop().create_future()
        self._pending.append((self._key(policy, subject), policy.window_seconds * 1000, future))
        if len(self._pending) == 1:
            # Runs on the next loop turn: every request counted before then joins it.
            task = asyncio.create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        counted = await future
        if counted is None:
            return None
        count, ttl_ms = counted
        return RateLimitDecision(
            policy=policy,
            allowed=count <= policy.quota,
            remaining=max(0, policy.quota - count),
            # Rounded up: a client waiting `t` seconds must find the window renewed.
            reset_seconds=max(1, -(-ttl_ms // 1000)),
        )

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            flat = await self._script(
                keys=[key for key, _, _ in batch], args=[window for _, window, _ in batch]
            )
        except (RedisError, OSError) as exc:
            self._record_failure(exc)
            results: list[tuple[int, int] | None] = [None] * len(batch)
        else:
            self.last_error = None
            results = [(int(flat[2 * i]), int(flat[2 * i + 1])) for i in range(len(batch))]
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():  # the request may have been cancelled meanwhile
                future.set_result(result)

    async def is_exhausted(self, policy: RateLimitPolicy, subject: str) -> bool:
        """True when `subject` has used its quota in the current window (read only)."""
        if self._clock() < self._down_until:
            return False
        try:
            value = await self._client.get(self._key(policy, subject))
        except (RedisError, OSError) as exc:
            self._record_failure(exc)
            return False
        return value is not None and int(value) >= policy.quota

    async def ping(self) -> None:
        """Readiness: raises when Redis does not answer."""
        await self._client.ping()

    async def close(self) -> None:
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        await self._client.aclose()

    def _key(self, policy: RateLimitPolicy, subject: str) -> str:
        return f"{NAMESPACE}:{policy.name}:{subject}"

    def _record_failure(self, exc: BaseException) -> None:
        now = self._clock()
        self._down_until = now + RETRY_AFTER_FAILURE_SECONDS
        self.last_error = type(exc).__name__
        if now - self._last_warning >= OUTAGE_LOG_INTERVAL_SECONDS:
            self._last_warning = now
            log.warning(
                "rate_limit_unavailable",
                error_type=type(exc).__name__,
                detail="Redis unreachable: serving without rate limits (fail open)",
            )
