"""How a job of any kind ends when a task gives up: failed, with a reason, once.

The tasks' base class calls it when a step ran out of retries, hit its time limit or
met an unexpected error, so no job is left running forever.
"""

from __future__ import annotations

import uuid

from orgair_database import utcnow
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.states import JobState
from orgair_observability import get_logger
from orgair_worker.job_events import publish
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)


def fail_job(res: WorkerResources, job_id: uuid.UUID, reason: str) -> bool:
    """Move a queued or running job to failed; True when this call did."""
    with res.database.session() as session:
        now = utcnow()
        failed = jobs.transition(
            session, job_id, JobState.FAILED, now=now, error=reason, finished_at=now
        )
    if failed:
        log.error("job_failed", job_id=str(job_id), reason=reason)
        publish(res, job_id, res.events.completed)
    return failed
