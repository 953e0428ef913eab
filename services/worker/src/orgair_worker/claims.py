"""One delivery at a time drafts an item of an LLM job, so a duplicate pays for nothing.

The broker delivers a task at least once: a message that waits past the visibility
timeout, or a fan-out repeated after a retry, reaches a second process while the
first is still asking the model. Writes are once-only anyway (unique keys, checks
under the job's lock); what a claim saves is the second paid call. A claim is a Redis
key set if absent, expiring after the task's hard time limit: by then its holder has
finished or was killed, and a redelivered message may claim the item again.
"""

from __future__ import annotations

import uuid

import redis

from orgair_observability import get_logger
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)

_PREFIX = "orgair:jobs:v1"


def _key(job_id: uuid.UUID, item: str) -> str:
    return f"{_PREFIX}:{job_id}:drafting:{item}"


def claim(res: WorkerResources, job_id: uuid.UUID, item: str) -> bool:
    """True when this delivery may draft `item`; False when another one is drafting it.

    Without Redis no claim can be made, and none is needed: the budget cannot be
    checked either, so the model will not be called.
    """
    ttl = res.settings.CELERY_TASK_TIME_LIMIT_SECONDS
    try:
        return bool(res.redis.set(_key(job_id, item), "1", nx=True, ex=ttl))
    except redis.RedisError as exc:
        log.warning("draft_claim_unavailable", job_id=str(job_id), error=type(exc).__name__)
        return True


def release(res: WorkerResources, job_id: uuid.UUID, item: str) -> None:
    try:
        res.redis.delete(_key(job_id, item))
    except redis.RedisError as exc:  # it expires by itself
        log.warning("draft_claim_not_released", job_id=str(job_id), error=type(exc).__name__)
