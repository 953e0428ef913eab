"""Job progress events: one Redis Stream per job, replayable from any event id.

The worker (and scoring, when a job is cancelled) appends `progress`,
`company_failed` (fund jobs) or `dimension_failed` (justification jobs) and
`completed` events; scoring's `GET /jobs/{id}/events` reads them
with XREAD (`JobEventReader`) and relays them as Server-Sent Events whose `id` is the
stream entry id, so a client reconnecting with `Last-Event-ID` continues exactly after
the last event it saw. A stream (rather than pub/sub) keeps the events for late and reconnecting
readers; it is trimmed to `JOB_EVENTS_MAX_LEN` entries and expires
`JOB_EVENTS_TTL_SECONDS` after its last event.

Appending runs as one Lua script, which keeps the stream well ordered whatever order
concurrent chunks finish their publishing in:
- a `progress` event is appended only when its `done` count is higher than every
  count published before (a late, lower count carries no news);
- `completed` closes the stream: nothing is appended after it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
import redis
import redis.asyncio

from orgair_config import Settings
from orgair_domain.jobs.models import ScoringJob

_KEY_PREFIX = "orgair:jobs:v1"
_CLOSED = "closed"
EVENT_ID = re.compile(r"\d{1,20}-\d{1,20}")


class EventKind(StrEnum):
    PROGRESS = "progress"
    COMPANY_FAILED = "company_failed"  # a fund scoring job could not score a company
    DIMENSION_FAILED = "dimension_failed"  # a justification job could not justify one
    COMPLETED = "completed"


# KEYS: stream, mark. ARGV: max length, ttl, progress `done` (-1: no progress event),
# closes (1/0), then (kind, data) pairs. The mark holds the highest `done` published,
# or "closed" once `completed` was appended. Returns the ids appended.
_APPEND_SCRIPT = """
local mark = redis.call('GET', KEYS[2])
if mark == 'closed' then return {} end
local high = tonumber(mark or '-1')
local done = tonumber(ARGV[3])
local ids = {}
for i = 5, #ARGV, 2 do
  if ARGV[i] ~= 'progress' or done > high then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
                               'event', ARGV[i], 'data', ARGV[i + 1])
  end
end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[2], 'closed', 'EX', ARGV[2])
elseif done > high then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
end
if #ids > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return ids
"""


def stream_key(job_id: uuid.UUID) -> str:
    return f"{_KEY_PREFIX}:{job_id}:events"


def _mark_key(job_id: uuid.UUID) -> str:
    return f"{_KEY_PREFIX}:{job_id}:events:mark"


def counts_payload(job: ScoringJob) -> dict[str, Any]:
    return {
        "job_id": str(job.id),
        "kind": job.kind,
        "state": job.state,
        "total": job.total,
        "done": job.scored + job.failed,
        "scored": job.scored,
        "failed": job.failed,
    }


def completed_payload(job: ScoringJob) -> dict[str, Any]:
    report = (
        {"json_key": job.report_json_key, "csv_key": job.report_csv_key}
        if job.report_json_key
        else None
    )
    result = str(job.result_id) if job.result_id is not None else None
    return {**counts_payload(job), "error": job.error, "report": report, "result_id": result}


@dataclass(frozen=True)
class JobEvent:
    id: str | None  # None: synthesised from the database, not in the stream
    kind: str
    data: str  # JSON text


class JobEventPublisher:
    """Appends job events (synchronous: used by the worker and by cancellations)."""

    def __init__(self, client: redis.Redis, *, max_len: int, ttl_seconds: int) -> None:
        self._client = client
        self._max_len = max_len
        self._ttl = ttl_seconds
        self._append = client.register_script(_APPEND_SCRIPT)

    @classmethod
    def from_settings(cls, settings: Settings) -> JobEventPublisher:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5
        )
        return cls(
            client, max_len=settings.JOB_EVENTS_MAX_LEN, ttl_seconds=settings.JOB_EVENTS_TTL_SECONDS
        )

    def progress(
        self,
        job: ScoringJob,
        failures: Sequence[Mapping[str, Any]] = (),
        *,
        failure_kind: EventKind = EventKind.COMPANY_FAILED,
    ) -> list[str]:
        """The step's failure events (`company_failed` unless said otherwise), then the
        job's counts."""
        events = [(failure_kind, {"job_id": str(job.id), **f}) for f in failures]
        events.append((EventKind.PROGRESS, counts_payload(job)))
        return self._publish(job.id, events, done=job.scored + job.failed, closes=False)

    def completed(self, job: ScoringJob) -> list[str]:
        return self._publish(
            job.id, [(EventKind.COMPLETED, completed_payload(job))], done=-1, closes=True
        )

    def _publish(
        self,
        job_id: uuid.UUID,
        events: Sequence[tuple[EventKind, Mapping[str, Any]]],
        *,
        done: int,
        closes: bool,
    ) -> list[str]:
        args: list[Any] = [self._max_len, self._ttl, done, 1 if closes else 0]
        for kind, data in events:
            args += [kind.value, orjson.dumps(data)]
        ids = self._append(keys=[stream_key(job_id), _mark_key(job_id)], args=args)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    def close(self) -> None:
        self._client.close()


class JobEventReader:
    """Reads a job's stream for the SSE endpoint (asyncio)."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> JobEventReader:
        # Reads block up to the keep-alive interval: the socket must wait longer.
        client = redis.asyncio.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=2,
            socket_timeout=settings.JOB_SSE_KEEPALIVE_SECONDS + 10,
        )
        return cls(client)

    async def read_after(
        self, job_id: uuid.UUID, after: str, *, block_seconds: float | None, count: int = 500
    ) -> list[JobEvent]:
        """Events after id `after` ("0-0" = from the start).

        With `block_seconds`, waits that long for the first new event (XREAD BLOCK
        returns at once when events are already there); None reads without waiting.
        """
        block = None if block_seconds is None else max(1, int(block_seconds * 1000))
        reply: Any = await self._client.xread({stream_key(job_id): after}, count=count, block=block)
        # RESP2 reply: [[stream key, [(entry id, {field: value}), ...]]], or None on timeout.
        return [
            _event(entry_id, fields) for _, entries in reply or [] for entry_id, fields in entries
        ]

    async def last(self, job_id: uuid.UUID) -> JobEvent | None:
        entries: Any = await self._client.xrevrange(stream_key(job_id), count=1)
        return _event(*entries[0]) if entries else None

    async def close(self) -> None:
        await self._client.aclose()


def _event(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> JobEvent:
    def text(value: bytes | str) -> str:
        return value.decode() if isinstance(value, bytes) else value

    return JobEvent(id=text(entry_id), kind=text(fields[b"event"]), data=text(fields[b"data"]))
