"""Publishing a job's progress events from the worker, as a courtesy.

Events are how clients follow a job, not what the job's correctness rests on: when
Redis is unreachable the event is dropped with a warning and the job goes on (the
SSE endpoint falls back to the job row for its end).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import redis

from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.models import ScoringJob
from orgair_observability import get_logger
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)


def publish(
    res: WorkerResources,
    job_id: uuid.UUID,
    send: Callable[[ScoringJob], object],
    *,
    job: ScoringJob | None = None,
) -> None:
    """Publish an event about the job with `send` (given the job's current row unless
    `job` is)."""
    try:
        if job is None:
            with res.database.sessions() as session:
                job = jobs.get(session, job_id)
        if job is not None:
            send(job)
    except redis.RedisError as exc:
        log.warning("job_event_publish_failed", job_id=str(job_id), error=type(exc).__name__)
