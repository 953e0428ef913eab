"""`GET /jobs/{id}/events`: the job's event stream relayed as Server-Sent Events.

Events come from the job's Redis Stream (see `orgair_domain.jobs.events`), starting after the
client's `Last-Event-ID` (or from the first event). While nothing happens the
response carries a `: keep-alive` comment every `JOB_SSE_KEEPALIVE_SECONDS`, so no
proxy read timeout (the gateway's is 30 s) cuts an idle stream, and the job's state
is read from the database: a job that ended without its `completed` event in the
stream (the stream expired, or Redis was unreachable when it ended) gets a
`completed` event built from the database, without an id. The response ends after
`completed`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import orjson
import redis

from orgair_database import Database
from orgair_domain.jobs import repository
from orgair_domain.jobs.events import (
    EventKind,
    JobEvent,
    JobEventReader,
    completed_payload,
)
from orgair_domain.jobs.states import TERMINAL_STATES
from orgair_observability import get_logger

log = get_logger(__name__)

# Sent first: how long a disconnected EventSource waits before reconnecting.
RECONNECT_DELAY = b"retry: 3000\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
START = "0-0"


def sse_frame(event: JobEvent) -> bytes:
    """The event as one Server-Sent Events frame (its `id` is the stream entry id)."""
    lines = [f"id: {event.id}"] if event.id else []
    lines += [f"event: {event.kind}", f"data: {event.data}", "", ""]
    return "\n".join(lines).encode()


def _position(event_id: str) -> tuple[int, int]:
    milliseconds, sequence = event_id.split("-", 1)
    return int(milliseconds), int(sequence)


def _terminal_event(database: Database, job_id: uuid.UUID) -> JobEvent | None:
    """A `completed` event from the job row when the job has ended, else None."""
    with database.sessions() as session:
        job = repository.get(session, job_id)
        if job is None or job.state not in TERMINAL_STATES:
            return None
        return JobEvent(None, EventKind.COMPLETED, orjson.dumps(completed_payload(job)).decode())


async def job_event_stream(
    reader: JobEventReader,
    database: Database,
    job_id: uuid.UUID,
    *,
    last_event_id: str | None,
    keepalive_seconds: float,
) -> AsyncIterator[bytes]:
    cursor = last_event_id or START
    yield RECONNECT_DELAY
    ended = await asyncio.to_thread(_terminal_event, database, job_id)
    while True:
        try:
            # A job that has ended gets no new events: read what is left without waiting.
            events = await reader.read_after(
                job_id, cursor, block_seconds=None if ended else keepalive_seconds
            )
        except redis.RedisError as exc:
            log.warning("job_events_unavailable", job_id=str(job_id), error=type(exc).__name__)
            events = []
            if not ended:
                await asyncio.sleep(keepalive_seconds)
        for event in events:
            yield sse_frame(event)
            assert event.id is not None
            cursor = event.id
            if event.kind == EventKind.COMPLETED:
                return
        if events:
            continue
        if ended:
            if not await _client_saw_completion(reader, job_id, cursor):
                yield sse_frame(ended)
            return
        yield KEEP_ALIVE
        ended = await asyncio.to_thread(_terminal_event, database, job_id)


async def _client_saw_completion(reader: JobEventReader, job_id: uuid.UUID, cursor: str) -> bool:
    """True when the stream's last event is `completed` and the client resumed after it."""
    try:
        last = await reader.last(job_id)
    except redis.RedisError:
        return False
    return (
        last is not None
        and last.kind == EventKind.COMPLETED
        and last.id is not None
        and cursor != START
        and _position(last.id) <= _position(cursor)
    )
