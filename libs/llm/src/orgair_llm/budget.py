"""The daily LLM cost budget, shared exactly by every process through Redis.

A process-local budget is wrong twice over: each replica and worker would spend the
whole budget, and it would reset whenever a process restarts. Here the day's spend
lives in one Redis hash per UTC day (`spent` and `reserved`, integer micro-dollars),
and every call goes through two atomic Lua scripts:

* `reserve` adds the call's worst-case cost to `reserved` only if
  spent + reserved + worst case still fits in the budget — before anything is sent,
  so any number of concurrent callers in any number of processes can never commit
  more than the budget between them;
* `settle` moves the reservation to `spent` at the provider's actual cost (the rest
  is released), and raises the once-a-day alert flag (SET NX inside the script) the
  first time spending reaches the alert threshold.

A reservation belongs to the day it was made on, also when it settles after
midnight. The hash expires an hour after its day ends. A process that dies between
reserve and settle leaves its reservation counted until then (the call may have
been billed), which errs on the side of spending less. When Redis cannot be reached
no reservation can be made, so no call is sent (`BudgetUnavailable`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import redis
import structlog

from orgair_config import Settings
from orgair_llm.costs import micros_to_usd, usd_to_micros
from orgair_llm.errors import BudgetExhausted, BudgetUnavailable
from orgair_observability.metrics import LLM_BUDGET_USD, LLM_SPEND_USD

__all__ = [
    "BudgetStatus",
    "Clock",
    "DailyBudget",
    "Reservation",
    "budget_readiness",
    "seconds_until_next_day",
]

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
DEFAULT_NAMESPACE = "orgair:llm:budget:v1"
# Settlements after midnight (a call reserved at 23:59:59) still find their day's hash.
EXPIRY_GRACE_SECONDS = 3600

_RESERVE = """
local amount = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if spent + reserved + amount > budget then
  return {0, spent, reserved}
end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', amount)
redis.call('HSETNX', KEYS[1], 'spent', 0)
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[3]))
return {1, spent, reserved}
"""

_SETTLE = """
local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
if reserved < 0 then
  redis.call('HSET', KEYS[1], 'reserved', 0)
  reserved = 0
end
local spent = redis.call('HINCRBY', KEYS[1], 'spent', tonumber(ARGV[2]))
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[3]))
local alerted = 0
if spent > 0 and spent >= tonumber(ARGV[4]) then
  if redis.call('SET', KEYS[2], '1', 'NX', 'EXAT', tonumber(ARGV[3])) then
    alerted = 1
  end
end
return {spent, reserved, alerted}
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def seconds_until_next_day(moment: datetime) -> int:
    """Whole seconds from `moment` until the next UTC midnight (at least 1)."""
    moment = moment.astimezone(UTC)
    next_day = _day_start(moment.date() + timedelta(days=1))
    return max(1, math.ceil((next_day - moment).total_seconds()))


@dataclass(frozen=True)
class Reservation:
    """A worst-case amount held against one day's budget until it is settled."""

    day: date
    micros: int


@dataclass(frozen=True)
class BudgetStatus:
    """Today's budget as every process sees it; `as_dict` is what `/readyz` reports."""

    day: date
    budget_usd: float
    spent_usd: float
    reserved_usd: float
    alert_threshold_pct: float
    alert_raised: bool

    @property
    def remaining_usd(self) -> float:
        return max(0.0, self.budget_usd - self.spent_usd - self.reserved_usd)

    @property
    def used_fraction(self) -> float:
        if self.budget_usd <= 0:
            return 1.0
        return (self.spent_usd + self.reserved_usd) / self.budget_usd

    @property
    def alert(self) -> bool:
        """Spending has reached COST_ALERT_THRESHOLD_PCT of the budget today."""
        return self.budget_usd <= 0 or self.spent_usd >= self.alert_threshold_pct * self.budget_usd

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "budget_usd": round(self.budget_usd, 6),
            "spent_usd": round(self.spent_usd, 6),
            "reserved_usd": round(self.reserved_usd, 6),
            "remaining_usd": round(self.remaining_usd, 6),
            "used_pct": round(self.used_fraction * 100, 2),
            "alert": self.alert,
        }


class DailyBudget:
    """Reserve-then-settle accounting of LLM spend per UTC day, in Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        budget_usd: float,
        alert_threshold_pct: float,
        clock: Clock = utc_now,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        self._client = client
        self.budget_micros = usd_to_micros(budget_usd)
        self.alert_threshold_pct = alert_threshold_pct
        self._alert_micros = math.ceil(self.budget_micros * alert_threshold_pct)
        self._clock = clock
        self._namespace = namespace
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)
        LLM_BUDGET_USD.set(micros_to_usd(self.budget_micros))

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock = utc_now, timeout_seconds: float = 1.0
    ) -> DailyBudget:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
        )
        return cls(
            client,
            budget_usd=settings.DAILY_COST_BUDGET_USD,
            alert_threshold_pct=settings.COST_ALERT_THRESHOLD_PCT,
            clock=clock,
        )

    def today(self) -> date:
        return self._clock().astimezone(UTC).date()

    def _key(self, day: date) -> str:
        return f"{self._namespace}:{day.isoformat()}"

    def _alert_key(self, day: date) -> str:
        return f"{self._key(day)}:alerted"

    def _expire_at(self, day: date) -> int:
        return int(_day_start(day + timedelta(days=1)).timestamp()) + EXPIRY_GRACE_SECONDS

    def reserve(self, micros: int) -> Reservation:
        """Hold `micros` against today's budget, or raise `BudgetExhausted` (nothing held)."""
        now = self._clock()
        day = now.astimezone(UTC).date()
        try:
            answer = cast(
                list[Any],
                self._reserve(
                    keys=[self._key(day)],
                    args=[micros, self.budget_micros, self._expire_at(day)],
                ),
            )
        except redis.RedisError as exc:
            raise BudgetUnavailable(f"Redis: {type(exc).__name__}") from exc
        granted, spent, reserved = (int(value) for value in answer)
        self._publish(spent, reserved)
        if not granted:
            raise BudgetExhausted(
                day=day,
                budget_usd=micros_to_usd(self.budget_micros),
                committed_usd=micros_to_usd(spent + reserved),
                needed_usd=micros_to_usd(micros),
                retry_after_seconds=seconds_until_next_day(now),
            )
        return Reservation(day, micros)

    def settle(self, reservation: Reservation, actual_micros: int) -> None:
        """Replace the reservation by the actual cost (0 releases it all).

        Never raises: the call it accounts for has already happened. If Redis is gone
        now, the reservation stays counted (the worst case) and the failure is logged.
        """
        try:
            answer = cast(
                list[Any],
                self._settle(
                    keys=[self._key(reservation.day), self._alert_key(reservation.day)],
                    args=[
                        reservation.micros,
                        actual_micros,
                        self._expire_at(reservation.day),
                        self._alert_micros,
                    ],
                ),
            )
        except redis.RedisError as exc:
            log.error(
                "llm_budget_settle_failed",
                day=reservation.day.isoformat(),
                reserved_usd=micros_to_usd(reservation.micros),
                actual_usd=micros_to_usd(actual_micros),
                error=type(exc).__name__,
            )
            return
        spent, reserved, alerted = (int(value) for value in answer)
        self._publish(spent, reserved)
        if actual_micros > reservation.micros:
            log.warning(
                "llm_cost_exceeded_reservation",
                reserved_usd=micros_to_usd(reservation.micros),
                actual_usd=micros_to_usd(actual_micros),
            )
        if alerted:
            log.warning(
                "llm_budget_alert",
                day=reservation.day.isoformat(),
                spent_usd=micros_to_usd(spent),
                budget_usd=micros_to_usd(self.budget_micros),
                threshold_pct=self.alert_threshold_pct,
            )

    def status(self) -> BudgetStatus:
        """Today's spend across every process; raises `BudgetUnavailable` without Redis."""
        day = self.today()
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.hmget(self._key(day), ["spent", "reserved"])
            pipe.exists(self._alert_key(day))
            (spent_raw, reserved_raw), alert_flag = pipe.execute()
        except redis.RedisError as exc:
            raise BudgetUnavailable(f"Redis: {type(exc).__name__}") from exc
        spent, reserved = int(spent_raw or 0), int(reserved_raw or 0)
        self._publish(spent, reserved)
        return BudgetStatus(
            day=day,
            budget_usd=micros_to_usd(self.budget_micros),
            spent_usd=micros_to_usd(spent),
            reserved_usd=micros_to_usd(reserved),
            alert_threshold_pct=self.alert_threshold_pct,
            alert_raised=bool(alert_flag),
        )

    def _publish(self, spent: int, reserved: int) -> None:
        LLM_SPEND_USD.labels("spent").set(micros_to_usd(spent))
        LLM_SPEND_USD.labels("reserved").set(micros_to_usd(reserved))

    def close(self) -> None:
        self._client.close()


async def budget_readiness(budget: DailyBudget) -> dict[str, object]:
    """Today's budget for a `/readyz` check (`run_check(..., required=False)`): the
    details of `BudgetStatus.as_dict`; raises `BudgetUnavailable` without Redis."""
    status = await asyncio.to_thread(budget.status)
    return status.as_dict()
