"""Justification jobs: start (the dimensions to justify), one step per dimension.

Each step reads what the model needs (the dimension score and the company's best
excerpts for it), claims the dimension (`claims`: a duplicate delivery pays for no
second call), asks the model outside any transaction, and writes the outcome
under the job row's lock, skipping a dimension an earlier delivery already wrote (a
unique (job, dimension) key backs that up). The step that writes the last dimension
moves the job to succeeded; one failed dimension (no evidence, an invalid citation,
the budget spent, the providers down) is recorded and reported, not a failed job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from orgair_database import utcnow
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.events import EventKind
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.states import ACTIVE_STATES, JobState
from orgair_domain.justifications import repository as written_justifications
from orgair_domain.justifications import service as justifications
from orgair_domain.justifications.drafting import Draft, draft_justification
from orgair_domain.justifications.models import JustificationStatus
from orgair_observability import get_logger
from orgair_worker import claims
from orgair_worker.job_events import publish
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)


def start_job(res: WorkerResources, job_id: uuid.UUID) -> list[str] | None:
    """queued → running; the dimensions to justify, or None when there is nothing to do
    (unknown, ended or cancelled job, or already fanned out)."""
    with res.database.session() as session:
        job = jobs.get(session, job_id)
        if job is None or job.kind != JobKind.JUSTIFICATIONS:
            log.warning("job_not_found", job_id=str(job_id))
            return None
        if job.state not in ACTIVE_STATES or job.chunks_enqueued_at is not None:
            log.info("job_start_skipped", job_id=str(job_id), state=job.state)
            return None
        dimensions = justifications.dimensions_to_justify(session, job)
        now = utcnow()
        claimed = jobs.transition(
            session, job_id, JobState.RUNNING, now=now, total=len(dimensions),
            started_at=job.started_at or now,
        )  # fmt: skip
        if not claimed:
            return None
    log.info("justification_job_started", job_id=str(job_id), dimensions=len(dimensions))
    publish(res, job_id, lambda current: res.events.progress(current))
    if not dimensions:
        finish_if_complete(res, job_id)
    return dimensions


def mark_steps_enqueued(res: WorkerResources, job_id: uuid.UUID) -> None:
    with res.database.session() as session:
        jobs.record_chunks_enqueued(session, job_id, utcnow())


@dataclass(frozen=True)
class StepOutcome:
    written: bool
    status: JustificationStatus | None


def justify_dimension(res: WorkerResources, job_id: uuid.UUID, dimension: str) -> StepOutcome:
    """Draft and record one dimension's justification (once, however often delivered)."""
    with res.database.sessions() as session:
        job = jobs.get(session, job_id)
        if job is None or job.state != JobState.RUNNING:
            return StepOutcome(False, None)
        if written_justifications.exists_for(session, job_id, dimension):
            return StepOutcome(False, None)
        prepared = justifications.prepare(session, res.settings, job, dimension)
        correlation_id = job.correlation_id
    if not claims.claim(res, job_id, dimension):
        log.info("dimension_drafted_elsewhere", job_id=str(job_id), dimension=dimension)
        return StepOutcome(False, None)
    try:
        return _draft_and_record(res, job, dimension, prepared, correlation_id)
    finally:
        claims.release(res, job_id, dimension)


def _draft_and_record(
    res: WorkerResources,
    job: ScoringJob,
    dimension: str,
    prepared: justifications.Prepared | None,
    correlation_id: str | None,
) -> StepOutcome:
    job_id = job.id
    if prepared is None:
        draft = Draft(dimension, 0.0, JustificationStatus.FAILED, 0, failure_code="gone",
                      reason="the dimension score or the company no longer exists")  # fmt: skip
    else:
        draft = draft_justification(
            res.llm, prepared.subject, prepared.excerpts, correlation_id=correlation_id
        )
    with res.database.sessions() as session:
        written = justifications.record_draft(session, job, draft)
    if not written:
        return StepOutcome(False, draft.status)
    log.info("dimension_justified", job_id=str(job_id), dimension=dimension,
             status=draft.status.value, code=draft.failure_code)  # fmt: skip
    failures = (
        []
        if draft.status == JustificationStatus.JUSTIFIED
        else [{"dimension": dimension, "code": draft.failure_code, "reason": draft.reason}]
    )
    publish(
        res,
        job_id,
        lambda current: res.events.progress(
            current, failures, failure_kind=EventKind.DIMENSION_FAILED
        ),
    )
    finish_if_complete(res, job_id)
    return StepOutcome(True, draft.status)


def finish_if_complete(res: WorkerResources, job_id: uuid.UUID) -> bool:
    """running → succeeded once every dimension is written; True when this call did."""
    with res.database.session() as session:
        job = jobs.get(session, job_id)
        if job is None or job.state != JobState.RUNNING or job.scored + job.failed < job.total:
            return False
        now = utcnow()
        finished = jobs.transition(session, job_id, JobState.SUCCEEDED, now=now, finished_at=now)
    if finished:
        log.info("justification_job_succeeded", job_id=str(job_id))
        publish(res, job_id, res.events.completed)
    return finished
