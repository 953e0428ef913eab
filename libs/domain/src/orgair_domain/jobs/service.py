"""Fund scoring jobs as the API sees them: read, cancel, the report's link.

The work itself runs in the worker (`orgair_worker.fund_jobs`); a job is created by
`orgair_domain.funds.scoring_jobs` (a fund's use case). Here: what the worker wrote,
read back, and the cancellation.
"""

from __future__ import annotations

import uuid
from typing import Literal

import redis
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.errors import Conflict, NotFound, Unavailable
from orgair_domain.jobs import repository
from orgair_domain.jobs.events import JobEventPublisher
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.jobs.schemas import (
    JobFailureOut,
    JobLinks,
    JobOut,
    JobSummaryOut,
    ReportKeys,
    ReportLinkOut,
)
from orgair_domain.jobs.states import JobState
from orgair_objectstore import ObjectStore
from orgair_observability import get_logger

log = get_logger(__name__)


def job_path(settings: Settings, job_id: uuid.UUID) -> str:
    return f"{settings.API_V2_PREFIX}/jobs/{job_id}"


def require_job(session: Session, job_id: uuid.UUID) -> ScoringJob:
    job = repository.get(session, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def _result_path(settings: Settings, job: ScoringJob) -> str | None:
    prefix = settings.API_V2_PREFIX
    if job.kind == JobKind.JUSTIFICATIONS and job.assessment_id is not None:
        return f"{prefix}/assessments/{job.assessment_id}/justifications?job_id={job.id}"
    if job.kind == JobKind.IC_MEMO and job.result_id is not None:
        return f"{prefix}/ic-memos/{job.result_id}"
    return None


def job_summary(settings: Settings, job: ScoringJob) -> JobSummaryOut:
    path = job_path(settings, job.id)
    return JobSummaryOut(
        id=job.id,
        kind=JobKind(job.kind),
        fund_id=job.fund_id,
        assessment_id=job.assessment_id,
        company_id=job.company_id,
        state=JobState(job.state),
        profile=job.parameters_version,
        parameters_hash=job.parameters_hash,
        total=job.total,
        done=job.scored + job.failed,
        scored=job.scored,
        failed=job.failed,
        error=job.error,
        report=(
            ReportKeys(json_key=job.report_json_key, csv_key=job.report_csv_key)
            if job.report_json_key and job.report_csv_key
            else None
        ),
        idempotency_key=job.idempotency_key,
        created_by=job.created_by,
        cancelled_by=job.cancelled_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        links=JobLinks(
            self=path,
            events=f"{path}/events",
            report=f"{path}/report" if job.kind == JobKind.FUND_SCORING else None,
            result=_result_path(settings, job),
        ),
    )


def job_out(session: Session, settings: Settings, job: ScoringJob) -> JobOut:
    errors = [JobFailureOut.model_validate(f) for f in repository.failures(session, job.id)]
    return JobOut(**job_summary(settings, job).model_dump(), errors=errors)


def get_job(session: Session, settings: Settings, job_id: uuid.UUID) -> JobOut:
    return job_out(session, settings, require_job(session, job_id))


def cancel_job(
    session: Session,
    settings: Settings,
    events: JobEventPublisher,
    job_id: uuid.UUID,
    *,
    actor: str,
) -> JobOut:
    """Cancel a queued or running job; cancelling a cancelled job again changes nothing.

    The conditional UPDATE is the whole protocol: a worker writes a chunk only while the
    job row says `running`, under that row's lock, so once this commits no further
    score rows are written for the job.
    """
    job = require_job(session, job_id)
    now = utcnow()
    cancelled = repository.transition(
        session, job_id, JobState.CANCELLED, now=now, cancelled_by=actor, finished_at=now
    )
    session.commit()
    session.refresh(job)
    if cancelled:
        log.info("scoring_job_cancelled", job_id=str(job_id))
        try:
            events.completed(job)
        except redis.RedisError as exc:  # events are a courtesy; the state is committed
            log.warning("job_event_publish_failed", job_id=str(job_id), error=type(exc).__name__)
    elif job.state != JobState.CANCELLED:
        raise Conflict(f"the job already {job.state}; only queued or running jobs can be cancelled")
    return job_out(session, settings, job)


def report_link(
    session: Session,
    settings: Settings,
    objects: ObjectStore,
    job_id: uuid.UUID,
    report_format: Literal["json", "csv"],
) -> ReportLinkOut:
    job = require_job(session, job_id)
    if job.kind != JobKind.FUND_SCORING:
        raise NotFound(f"report of {job.kind} job", job_id)
    key = job.report_json_key if report_format == "json" else job.report_csv_key
    if job.state != JobState.SUCCEEDED or key is None:
        raise Conflict(
            f"the job is {job.state}: its report exists once it succeeded", state=job.state
        )
    expires = settings.JOB_REPORT_URL_EXPIRES_SECONDS
    return ReportLinkOut(
        format=report_format,
        key=key,
        url=objects.presigned_get_url(key, expires_seconds=expires),
        expires_in=expires,
    )


def publish_first_task(
    session: Session,
    queue: JobQueue,
    job: ScoringJob,
    correlation_id: str | None,
    *,
    retry_hint: str = "retry the request with the same Idempotency-Key",
) -> None:
    """Publish the job's first task (after its row is committed) and record that it was.

    Unavailable when the broker cannot be reached: the job stays queued and unpublished,
    and the request that created it may be retried (`retry_hint` says how).
    """
    try:
        queue.enqueue_start(job.id, kind=JobKind(job.kind), correlation_id=correlation_id)
    except (KombuOperationalError, redis.RedisError, OSError) as exc:
        log.error("scoring_job_enqueue_failed", job_id=str(job.id), error=type(exc).__name__)
        raise Unavailable(
            "Job queue unavailable",
            f"job {job.id} was recorded but could not be queued; {retry_hint}",
            retry_after_seconds=5,
            job_id=str(job.id),
        ) from None
    # Should this update be lost, a retried POST publishes again: the worker starts a
    # job once however many start tasks arrive.
    job.enqueued_at = utcnow()
    session.commit()


def resume_or_refuse(
    session: Session,
    settings: Settings,
    queue: JobQueue,
    active: ScoringJob,
    correlation_id: str | None,
    *,
    retry_hint: str,
    conflict: str,
) -> JobOut:
    """The answer to a request for a job while `active` (same kind, same subject) exists:
    a job whose first task never reached the queue (the broker was down when it was
    made) is published now and answered, as the retry the 503 asked for; any other is
    a 409 naming it (`conflict`: "the company already has a running memo job")."""
    if active.state == JobState.QUEUED and active.enqueued_at is None:
        publish_first_task(session, queue, active, correlation_id, retry_hint=retry_hint)
        return job_out(session, settings, active)
    raise Conflict(conflict, job_id=str(active.id), job=job_path(settings, active.id))
