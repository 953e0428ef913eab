"""Scoring a fund in the background: starting its job (idempotently) and listing its jobs.

Starting records the job, with the fund's member count and the parameter profile it
will score with, and publishes the job's first task only once the row is committed,
so the worker never looks for a job that does not exist yet. A retried request with
the same Idempotency-Key gets the same job; one whose first publication failed
(broker down) is published again. The work itself runs in the worker.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.errors import Conflict, Unprocessable
from orgair_domain.funds import repository
from orgair_domain.funds.service import require_fund
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.jobs.schemas import JobOut, JobRequest, JobSummaryOut
from orgair_domain.jobs.service import job_out, job_path, job_summary, publish_first_task
from orgair_domain.jobs.states import JobState
from orgair_domain.pagination import Page, PageRequest, paginate
from orgair_domain.parameters import service as parameters
from orgair_observability import get_logger

log = get_logger(__name__)


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
        earlier = jobs.by_idempotency_key(session, actor, idempotency_key)
        if earlier is not None:
            return _replay(session, settings, queue, earlier, fund_id, request), True

    fund = require_fund(session, fund_id)
    active = jobs.active_for_fund(session, fund.id)
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
        kind=JobKind.FUND_SCORING.value,
        fund_id=fund.id,
        profile_id=profile_row.id,
        parameters_version=params.version,
        parameters_hash=params.parameters_hash,
        state=JobState.QUEUED.value,
        # The worker fixes the definitive count from the membership as of created_at.
        total=repository.member_counts(session, [fund.id]).get(fund.id, 0),
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
        earlier = jobs.by_idempotency_key(session, actor, idempotency_key)
        assert earlier is not None
        return _replay(session, settings, queue, earlier, fund_id, request), True
    publish_first_task(session, queue, job, correlation_id)
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
        raise Unprocessable(
            "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request (fund or profile)",
            job_id=str(job.id),
        )
    if job.state == JobState.QUEUED and job.enqueued_at is None:
        # The first attempt committed the job but could not publish it (broker down).
        publish_first_task(session, queue, job, job.correlation_id)
    return job_out(session, settings, job)


def list_fund_jobs(
    session: Session, settings: Settings, fund_id: uuid.UUID, page: PageRequest
) -> Page[JobSummaryOut]:
    """The fund's jobs, newest first."""
    require_fund(session, fund_id)
    return paginate(session, jobs.for_fund_query(fund_id), page).map(
        lambda rows: [job_summary(settings, job) for job in rows]
    )
