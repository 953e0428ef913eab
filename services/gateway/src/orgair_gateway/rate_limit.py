"""Fixed-window rate limits in Redis, shared by every gateway process.

One Lua script increments the window's counter and reads its remaining time in
a single atomic step, so concurrent requests from any number of gateway
processes are counted exactly: with a quota of N, exactly N requests of a
window pass. The window starts with its first request and lasts
`window_seconds`; the key expires with it.

Redis unavailable means *fail open*: requests are served without a limit (an
outage of the limiter must not become an outage of the API), a warning is
logged at most once per `OUTAGE_LOG_INTERVAL_SECONDS`, Redis is not tried again
for `RETRY_AFTER_FAILURE_SECONDS` (so requests do not each wait for a timeout),
and `/readyz` reports it.
"""

from __future__ import annotations

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

# KEYS[1] window counter; ARGV[1] window length in ms. Returns {count, ms left}.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


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

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float) -> RateLimiter:
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            # A failed command is reported now; the next request tries again.
            retry_on_timeout=False,
        )
        return cls(client)

    async def hit(self, policy: RateLimitPolicy, subject: str) -> RateLimitDecision | None:
        """Count one request of `subject`; None when Redis is unavailable (fail open)."""
        if self._clock() < self._down_until:
            return None
        try:
            count, ttl_ms = await self._script(
                keys=[self._key(policy, subject)], args=[policy.window_seconds * 1000]
            )
        except (RedisError, OSError) as exc:
            self._record_failure(exc)
            return None
        self.last_error = None
        count, ttl_ms = int(count), int(ttl_ms)
        return RateLimitDecision(
            policy=policy,
            allowed=count <= policy.quota,
            remaining=max(0, policy.quota - count),
            # Rounded up: a client waiting `t` seconds must find the window renewed.
            reset_seconds=max(1, -(-ttl_ms // 1000)),
        )

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
