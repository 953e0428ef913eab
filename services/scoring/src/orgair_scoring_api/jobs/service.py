"""Fund scoring jobs as the API sees them: create (idempotently), read, cancel, report.

The work itself runs in the worker (`orgair_worker.fund_jobs`); this side records the
job, publishes its first task once the job row is committed, and reads what the
worker wrote.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal, cast

import redis
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy import CursorResult, Result, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_objectstore import ObjectStore
from orgair_observability import BadRequest, Conflict, NotFound, ProblemError, get_logger
from orgair_scoring_api.funds import repository as funds
from orgair_scoring_api.funds.service import require_fund
from orgair_scoring_api.jobs import repository
from orgair_scoring_api.jobs.events import JobEventPublisher
from orgair_scoring_api.jobs.models import ScoringJob
from orgair_scoring_api.jobs.queue import JobQueue
from orgair_scoring_api.jobs.schemas import (
    JobFailureOut,
    JobLinks,
    JobOut,
    JobRequest,
    JobSummaryOut,
    ReportKeys,
    ReportLinkOut,
)
from orgair_scoring_api.jobs.states import ACTIVE_STATES, JobState
from orgair_scoring_api.pagination import Page, PageParams
from orgair_scoring_api.parameters import service as parameters

log = get_logger(__name__)

# Visible ASCII, as the IETF Idempotency-Key draft's examples (UUIDs, random tokens).
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def job_path(settings: Settings, job_id: uuid.UUID) -> str:
    return f"{settings.API_V2_PREFIX}/jobs/{job_id}"


def require_job(session: Session, job_id: uuid.UUID) -> ScoringJob:
    job = repository.get(session, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def _summary(settings: Settings, job: ScoringJob) -> JobSummaryOut:
    path = job_path(settings, job.id)
    return JobSummaryOut(
        id=job.id,
        fund_id=job.fund_id,
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
        links=JobLinks(self=path, events=f"{path}/events", report=f"{path}/report"),
    )


def job_out(session: Session, settings: Settings, job: ScoringJob) -> JobOut:
    errors = [JobFailureOut.model_validate(f) for f in repository.failures(session, job.id)]
    return JobOut(**_summary(settings, job).model_dump(), errors=errors)


def create_fund_job(
    session: Session,
    settings: Settings,
    queue: JobQueue,
    fund_id: uuid.UUID,
    request: JobRequest,
    *,
    actor: str,
    idempotency_key: str | None,
    correlation_id: str | None,
) -> tuple[JobOut, bool]:
    """The new job, or the caller's earlier job for the same Idempotency-Key.

    Returns (job, replayed). The first task is published only after the job row is
    committed, so the worker never looks for a job that does not exist yet.
    """
    if idempotency_key is not None:
        if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise BadRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                errors=[{"pointer": "/header/Idempotency-Key", "detail": "malformed"}],
            )
        earlier = repository.by_idempotency_key(session, actor, idempotency_key)
        if earlier is not None:
            return _replay(session, settings, queue, earlier, fund_id, request), True

    fund = require_fund(session, fund_id)
    active = repository.active_for_fund(session, fund.id)
    if active is not None:
        raise Conflict(
            f"the fund already has a {active.state} scoring job",
            job_id=str(active.id),
            job=job_path(settings, active.id),
        )
    params, profile_row = parameters.resolve_for_scoring(
        session, settings, request.profile, actor=actor
    )
    now = utcnow()
    job = ScoringJob(
        id=uuid.uuid4(),
        fund_id=fund.id,
        profile_id=profile_row.id,
        parameters_version=params.version,
        parameters_hash=params.parameters_hash,
        state=JobState.QUEUED.value,
        # The worker fixes the definitive count from the membership as of created_at.
        total=funds.member_counts(session, [fund.id]).get(fund.id, 0),
        scored=0,
        failed=0,
        idempotency_key=idempotency_key,
        correlation_id=correlation_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is None:
            raise
        # A concurrent request with the same key won the race: answer with its job.
        earlier = repository.by_idempotency_key(session, actor, idempotency_key)
        assert earlier is not None
        return _replay(session, settings, queue, earlier, fund_id, request), True
    _enqueue(session, queue, job, correlation_id)
    log.info("scoring_job_created", job_id=str(job.id), fund_id=str(fund.id), total=job.total)
    return job_out(session, settings, job), False


def _replay(
    session: Session,
    settings: Settings,
    queue: JobQueue,
    job: ScoringJob,
    fund_id: uuid.UUID,
    request: JobRequest,
) -> JobOut:
    profile = request.profile or settings.PARAM_VERSION
    if job.fund_id != fund_id or job.parameters_version != profile:
        raise ProblemError(
            422,
            "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request (fund or profile)",
            job_id=str(job.id),
        )
    if job.state == JobState.QUEUED and job.enqueued_at is None:
        # The first attempt committed the job but could not publish it (broker down).
        _enqueue(session, queue, job, job.correlation_id)
    return job_out(session, settings, job)


def _enqueue(
    session: Session, queue: JobQueue, job: ScoringJob, correlation_id: str | None
) -> None:
    """Publish the job's first task (after its row is committed) and record that it was."""
    try:
        queue.enqueue_start(job.id, correlation_id=correlation_id)
    except (KombuOperationalError, redis.RedisError, OSError) as exc:
        log.error("scoring_job_enqueue_failed", job_id=str(job.id), error=type(exc).__name__)
        raise ProblemError(
            503,
            "Job queue unavailable",
            f"job {job.id} was recorded but could not be queued; "
            "retry the request with the same Idempotency-Key",
            headers={"Retry-After": "5"},
            job_id=str(job.id),
        ) from None
    # Should this update be lost, a retried POST publishes again: the worker starts a
    # job once however many start tasks arrive.
    job.enqueued_at = utcnow()
    session.commit()


def get_job(session: Session, settings: Settings, job_id: uuid.UUID) -> JobOut:
    return job_out(session, settings, require_job(session, job_id))


def list_fund_jobs(
    session: Session, settings: Settings, fund_id: uuid.UUID, page: PageParams
) -> Page[JobSummaryOut]:
    require_fund(session, fund_id)
    rows, total = repository.list_for_fund(
        session, fund_id, offset=page.offset, limit=page.page_size
    )
    return Page[JobSummaryOut].build([_summary(settings, job) for job in rows], total, page)


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
    cancelled = _rowcount(
        session.execute(
            update(ScoringJob)
            .where(ScoringJob.id == job_id, ScoringJob.state.in_(ACTIVE_STATES))
            .values(
                state=JobState.CANCELLED.value, cancelled_by=actor, finished_at=now, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
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


def _rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE (`session.execute` types its result as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


def report_link(
    session: Session,
    settings: Settings,
    objects: ObjectStore,
    job_id: uuid.UUID,
    report_format: Literal["json", "csv"],
) -> ReportLinkOut:
    job = require_job(session, job_id)
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
