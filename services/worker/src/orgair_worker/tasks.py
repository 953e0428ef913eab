"""The Celery tasks of the jobs: a fund scoring job's start, score_chunk (one per
chunk) and finalize; a justification job's start and justify_dimension (one per
dimension); an IC memo job's draft.

Tasks are thin: the work and its idempotency live in `fund_jobs`. Here: Celery's own
retries (`autoretry_for` the transient errors: database, S3, Redis, broker) with
exponential back-off and full jitter, capped at `CELERY_RETRY_BACKOFF_MAX_SECONDS`,
at most `CELERY_TASK_MAX_RETRIES` times; a task that still fails (or hits its time
limit, or meets an unexpected error) fails the job, with a reason, instead of
leaving it running forever.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any, cast

import redis
import structlog
from billiard.einfo import ExceptionInfo
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from orgair_config import get_settings
from orgair_domain.jobs.queue import (
    DRAFT_IC_MEMO,
    FINALIZE_FUND_JOB,
    JUSTIFY_DIMENSION,
    QUEUE,
    SCORE_CHUNK,
    START_FUND_JOB,
    START_JUSTIFICATIONS,
    trace_headers,
)
from orgair_objectstore import ObjectStoreError
from orgair_observability import get_correlation_id, get_logger
from orgair_worker import fund_jobs, justification_jobs, memo_jobs
from orgair_worker.app import app
from orgair_worker.job_endings import fail_job
from orgair_worker.runtime import resources

log = get_logger(__name__)

# Worth another try: the dependency may be back in a moment. An IntegrityError means
# another delivery of the same chunk wrote first; the retry skips what it wrote.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    IntegrityError,
    redis.ConnectionError,
    redis.TimeoutError,
    ObjectStoreError,
    BrokerError,
    ConnectionError,
    TimeoutError,
)


class FundJobTask(Task):  # type: ignore[misc]
    """Base of the job's tasks: the first argument is always the job id.

    A transient error raised by a task is retried by Celery (`autoretry_for`); the
    wait before retry n is a random whole number of seconds up to
    min(2**n, CELERY_RETRY_BACKOFF_MAX_SECONDS) (`retry_backoff`, `retry_jitter`).
    A retry runs the whole task again, which the steps in `fund_jobs` allow.
    """

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = True
    retry_jitter = True

    # Read from the settings when Celery asks (the app is configured lazily, not at
    # import): the retry limit at each retry, the back-off cap when the task is made.
    @property
    def max_retries(self) -> int:
        return get_settings().CELERY_TASK_MAX_RETRIES

    @property
    def retry_backoff_max(self) -> int:
        # Celery counts back-off in whole seconds.
        return max(1, math.ceil(get_settings().CELERY_RETRY_BACKOFF_MAX_SECONDS))

    def on_retry(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        log.warning(
            "task_retrying",
            job_id=args[0] if args else kwargs.get("job_id"),
            attempt=int(self.request.retries) + 1,
            error=type(exc).__name__,
        )

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        job_id = args[0] if args else kwargs.get("job_id")
        if job_id is None:
            return
        reason = failure_reason(self.name, exc)
        log.error("task_failed", job_id=job_id, reason=reason, exc_info=exc)
        try:
            fail_job(resources(), uuid.UUID(str(job_id)), reason)
        except Exception as mark_error:  # the original failure is what gets reported
            log.error("job_fail_not_recorded", job_id=job_id, error=type(mark_error).__name__)


def failure_reason(task_name: str, exc: BaseException) -> str:
    step = task_name.rsplit(".", 1)[-1].replace("_", " ")
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"{step}: ran past its time limit (CELERY_TASK_SOFT_TIME_LIMIT_SECONDS)"
    if isinstance(exc, TRANSIENT_ERRORS):
        return f"{step}: {type(exc).__name__} persisted after every retry"
    return f"{step}: unexpected {type(exc).__name__} (see the worker log)"


def _headers() -> dict[str, str]:
    """Child tasks continue this task's trace and correlation id."""
    return trace_headers(get_correlation_id())


def job_task(name: str) -> Callable[[Callable[..., None]], Any]:
    """`app.task` for a step of the job, bound, with `FundJobTask` as its base."""
    return cast(
        Callable[[Callable[..., None]], Any], app.task(name=name, base=FundJobTask, bind=True)
    )


@job_task(START_FUND_JOB)
def start_fund_job(self: FundJobTask, job_id: str) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id)
    job = uuid.UUID(job_id)
    chunks = fund_jobs.start_job(resources(), job)
    if chunks is None:
        return
    if not chunks:  # an empty fund: nothing to score, only the (empty) report
        finalize_fund_job.apply_async((job_id,), queue=QUEUE, headers=_headers())
    for index, chunk in enumerate(chunks):
        score_fund_chunk.apply_async(
            (job_id, index, [str(company) for company in chunk]), queue=QUEUE, headers=_headers()
        )
    fund_jobs.mark_chunks_enqueued(resources(), job)
    log.info("job_fanned_out", chunks=len(chunks))


@job_task(SCORE_CHUNK)
def score_fund_chunk(self: FundJobTask, job_id: str, chunk: int, company_ids: list[str]) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id, chunk=chunk)
    job = uuid.UUID(job_id)
    companies = [uuid.UUID(company) for company in company_ids]
    outcome = fund_jobs.score_chunk(resources(), job, companies)
    log.info("chunk_scored", scored=outcome.scored, failed=outcome.failed)
    # Also when this delivery wrote nothing new: the delivery that completed the job
    # may have died before it could enqueue the finalize task. Finalizing is idempotent.
    if outcome.job_running and outcome.job_complete:
        finalize_fund_job.apply_async((job_id,), queue=QUEUE, headers=_headers())


@job_task(FINALIZE_FUND_JOB)
def finalize_fund_job(self: FundJobTask, job_id: str) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id)
    job = uuid.UUID(job_id)
    fund_jobs.finalize_job(resources(), job)


@job_task(START_JUSTIFICATIONS)
def start_justifications(self: FundJobTask, job_id: str) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id)
    job = uuid.UUID(job_id)
    dimensions = justification_jobs.start_job(resources(), job)
    if not dimensions:
        return
    for dimension in dimensions:
        justify_dimension.apply_async((job_id, dimension), queue=QUEUE, headers=_headers())
    justification_jobs.mark_steps_enqueued(resources(), job)


@job_task(JUSTIFY_DIMENSION)
def justify_dimension(self: FundJobTask, job_id: str, dimension: str) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id, dimension=dimension)
    job = uuid.UUID(job_id)
    justification_jobs.justify_dimension(resources(), job, dimension)


@job_task(DRAFT_IC_MEMO)
def draft_ic_memo(self: FundJobTask, job_id: str) -> None:
    structlog.contextvars.bind_contextvars(job_id=job_id)
    job = uuid.UUID(job_id)
    memo_jobs.draft(resources(), job)
