"""Fund scoring jobs: start (snapshot and fan out), score a chunk, finalize, fail.

Every step is idempotent, because the broker may deliver a task more than once
(acks late: a worker that dies mid-task has its task redelivered):

- start moves the job queued → running once; a repeated start only re-reads the
  snapshot (the fund's members as of the job's creation, a fixed set).
- a chunk computes outside any lock, then writes under the job row's lock: its first
  statement is `UPDATE scoring_jobs ... WHERE id = :job AND state = 'running'`. A
  cancelled job matches no row, so nothing is written; otherwise the row stays
  locked until commit (SQLite: the database write lock), which serialises the write
  phases of one job and lets a cancellation wait for the chunk in progress. Under
  that lock the chunk skips every company that already has a score or a failure for
  this job, then inserts the rest and adds them to the job's counters in the same
  transaction. A redelivered chunk therefore writes nothing twice, and the unique
  (job_id, company_id) keys make a second row impossible where the database
  enforces them.
- finalize writes the report and moves running → succeeded once.

Each company is gated exactly as `POST /assessments/{id}/score` gates it, by the same
functions: `build_inputs`, `new_score_values` (the review gate against the current
approved score) and, for an auto-approved score, `settle_approved_assessments` (what
`approve` does to the assessments, here for a whole chunk at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import redis
from pydantic import ValidationError
from sqlalchemy import CursorResult, Result, String, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_observability import get_logger
from orgair_observability.metrics import SCORES_COMPUTED
from orgair_scoring import ColumnValidationError, CompanyInputs, ScoringParameters, score_batch
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.companies.models import Company
from orgair_scoring_api.dimension_scores.models import DimensionScore
from orgair_scoring_api.funds import repository as funds
from orgair_scoring_api.funds.models import Fund
from orgair_scoring_api.industries.models import Industry
from orgair_scoring_api.jobs.models import ScoringJob, ScoringJobFailure
from orgair_scoring_api.jobs.states import ACTIVE_STATES, JobState
from orgair_scoring_api.parameters.models import ParameterProfile
from orgair_scoring_api.scores.models import OrgAirScore
from orgair_scoring_api.scores.review_gate import ReviewStatus
from orgair_scoring_api.scores.service import (
    SCORABLE_STATUSES,
    IncompleteAssessment,
    build_inputs,
    current_approved_many,
    invalidate_after_scoring_many,
    new_score_values,
    settle_approved_assessments,
)
from orgair_worker.reports import build_report, report_keys
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)


class FailureCode(StrEnum):
    """Why a company of the job was not scored (`scoring_job_failures.code`)."""

    COMPANY_DELETED = "company_deleted"
    NO_SCORABLE_ASSESSMENT = "no_scorable_assessment"
    INCOMPLETE_ASSESSMENT = "incomplete_assessment"
    INVALID_INPUTS = "invalid_inputs"


@dataclass(frozen=True)
class CompanyFailure:
    company_id: uuid.UUID
    assessment_id: uuid.UUID | None
    code: FailureCode
    reason: str

    def as_event(self) -> dict[str, Any]:
        return {
            "company_id": str(self.company_id),
            "assessment_id": str(self.assessment_id) if self.assessment_id else None,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass
class ScoredChunk:
    """What a chunk computed, before it is written: score rows (column values) with the
    review gate's decision, and the companies that could not be scored."""

    rows: list[tuple[dict[str, Any], ReviewStatus]] = field(default_factory=list)
    failures: list[CompanyFailure] = field(default_factory=list)


# Light copies of the columns scoring reads: a chunk loads thousands of rows, and full
# ORM objects would cost more than scoring them. They satisfy the protocols
# `build_inputs` and `new_score_values` take, like the ORM rows of the synchronous path.


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: uuid.UUID
    company_id: uuid.UUID
    talent_concentration: float | None
    market_cap_percentile: float | None
    alignment: float | None
    timing_factor: float | None


@dataclass(frozen=True, slots=True)
class IndustryRow:
    sector: str
    h_r_base: float


@dataclass(frozen=True, slots=True)
class DimensionRow:
    dimension: str
    score: float
    evidence_count: int


@dataclass(frozen=True)
class ChunkOutcome:
    scored: int
    failed: int
    job_running: bool
    job_complete: bool


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE matched (`session.execute` types its result as a plain Result)."""
    return result.rowcount if isinstance(result, CursorResult) else 0


# --------------------------------------------------------------------------- start


def start_job(res: WorkerResources, job_id: uuid.UUID) -> list[list[uuid.UUID]] | None:
    """queued → running with the fund's members as of the job's creation.

    Returns the chunks to fan out, or None when there is nothing to do (unknown,
    cancelled or finished job, or its chunks were already published).
    """
    with res.database.session() as session:
        job = session.get(ScoringJob, job_id)
        if job is None:
            log.warning("job_not_found", job_id=str(job_id))
            return None
        if job.state not in ACTIVE_STATES or job.chunks_enqueued_at is not None:
            log.info("job_start_skipped", job_id=str(job_id), state=job.state)
            return None
        members = funds.members_as_of(session, job.fund_id, job.created_at)
        now = utcnow()
        claimed = _rowcount(
            session.execute(
                update(ScoringJob)
                .where(ScoringJob.id == job_id, ScoringJob.state.in_(ACTIVE_STATES))
                .values(
                    state=JobState.RUNNING.value,
                    total=len(members),
                    started_at=job.started_at or now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return None
    size = res.settings.FUND_JOB_CHUNK_SIZE
    log.info("job_started", job_id=str(job_id), total=len(members), chunk_size=size)
    _publish(res, job_id, lambda job: res.events.progress(job))
    return [members[start : start + size] for start in range(0, len(members), size)]


def mark_chunks_enqueued(res: WorkerResources, job_id: uuid.UUID) -> None:
    with res.database.session() as session:
        session.execute(
            update(ScoringJob)
            .where(ScoringJob.id == job_id)
            .values(chunks_enqueued_at=utcnow())
            .execution_options(synchronize_session=False)
        )


# --------------------------------------------------------------------------- chunk


def score_chunk(
    res: WorkerResources, job_id: uuid.UUID, company_ids: Sequence[uuid.UUID]
) -> ChunkOutcome:
    """Score the companies of one chunk that this job has not scored yet."""
    with res.database.sessions() as session:
        job = session.get(ScoringJob, job_id)
        if job is None or job.state != JobState.RUNNING:
            return ChunkOutcome(0, 0, job_running=False, job_complete=False)
        done_before = _already_done(session, job_id, company_ids)
        pending = [company for company in company_ids if company not in done_before]
        threshold = res.settings.HITL_SCORE_CHANGE_THRESHOLD
        computed = _compute(session, job, pending, threshold) if pending else ScoredChunk()

    with res.database.sessions() as session:
        now = utcnow()
        # First statement: lock the job row, and only if the job still runs.
        locked = _rowcount(
            session.execute(
                update(ScoringJob)
                .where(ScoringJob.id == job_id, ScoringJob.state == JobState.RUNNING.value)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if not locked:
            session.rollback()
            return ChunkOutcome(0, 0, job_running=False, job_complete=False)
        done = _already_done(session, job_id, company_ids)
        rows = [(row, status) for row, status in computed.rows if row["company_id"] not in done]
        failures = [f for f in computed.failures if f.company_id not in done]
        # Auto-approved exactly as `approve` does it: the score, then its assessments.
        approved = [row for row, status in rows if status == ReviewStatus.AUTO_APPROVED]
        for row in approved:
            row["review_status"] = ReviewStatus.AUTO_APPROVED.value
            row["approved_at"] = now
        changed = settle_approved_assessments(
            session, [(row["company_id"], row["assessment_id"]) for row in approved]
        )
        if rows:
            session.execute(insert(OrgAirScore), [row for row, _ in rows])
        if failures:
            session.execute(
                insert(ScoringJobFailure),
                [
                    {
                        "id": uuid.uuid4(),
                        "job_id": job_id,
                        "company_id": f.company_id,
                        "assessment_id": f.assessment_id,
                        "code": f.code,
                        "reason": f.reason,
                        "created_at": now,
                    }
                    for f in failures
                ],
            )
        session.execute(
            update(ScoringJob)
            .where(ScoringJob.id == job_id)
            .values(
                scored=ScoringJob.scored + len(rows),
                failed=ScoringJob.failed + len(failures),
            )
            .execution_options(synchronize_session=False)
        )
        job = session.get(ScoringJob, job_id, populate_existing=True)
        assert job is not None
        session.commit()

    if rows:
        invalidate_after_scoring_many(res.cache, [row["company_id"] for row, _ in rows], changed)
        for status in {status for _, status in rows}:
            SCORES_COMPUTED.labels("job", status.value).inc(sum(1 for _, s in rows if s == status))
    if rows or failures:
        events = [f.as_event() for f in failures]
        _publish(res, job_id, lambda current: res.events.progress(current, events), job=job)
    return ChunkOutcome(
        scored=len(rows),
        failed=len(failures),
        job_running=True,
        job_complete=job.scored + job.failed >= job.total,
    )


def _already_done(
    session: Session, job_id: uuid.UUID, company_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Companies of `company_ids` with a score or a failure recorded for this job."""
    scored = session.scalars(
        select(OrgAirScore.company_id).where(
            OrgAirScore.job_id == job_id, OrgAirScore.company_id.in_(company_ids)
        )
    )
    failed = session.scalars(
        select(ScoringJobFailure.company_id).where(
            ScoringJobFailure.job_id == job_id, ScoringJobFailure.company_id.in_(company_ids)
        )
    )
    return {*scored, *failed}


def _compute(
    session: Session, job: ScoringJob, company_ids: Sequence[uuid.UUID], change_threshold: float
) -> ScoredChunk:
    """Inputs, scores and review-gate decisions of the chunk's companies (nothing written)."""
    profile = session.get(ParameterProfile, job.profile_id)
    assert profile is not None  # foreign key
    # The numbers recorded when the job was created, whatever this worker's settings say.
    params = ScoringParameters.model_validate_json(profile.parameters)
    chunk = ScoredChunk()
    inputs_of, assessments = _load_inputs(session, company_ids, chunk.failures)
    scorable = list(inputs_of)
    batch = None
    while scorable and batch is None:
        try:
            batch = score_batch([inputs_of[company] for company in scorable], params)
        except ColumnValidationError as exc:
            # CompanyInputs validated every value already; should a column still be
            # refused, that company fails and the others are scored.
            if exc.row is None:
                raise
            bad = scorable.pop(exc.row)
            chunk.failures.append(
                CompanyFailure(bad, assessments[bad].id, FailureCode.INVALID_INPUTS, str(exc))
            )
    if batch is None:
        return chunk
    previous = current_approved_many(session, scorable)
    for index, company_id in enumerate(scorable):
        values, status = new_score_values(
            assessment=assessments[company_id],
            inputs=inputs_of[company_id],
            result=batch.result(index),
            profile_id=profile.id,
            previous=previous.get(company_id),
            change_threshold=change_threshold,
            actor=job.created_by,
        )
        values["job_id"] = job.id
        chunk.rows.append((values, status))
    return chunk


def _load_inputs(
    session: Session, company_ids: Sequence[uuid.UUID], failures: list[CompanyFailure]
) -> tuple[dict[uuid.UUID, CompanyInputs], dict[uuid.UUID, AssessmentRow]]:
    """Each company's latest scorable assessment turned into CompanyInputs.

    A company that cannot be scored is appended to `failures` with the reason.
    """
    industries = {
        company_id: IndustryRow(sector, h_r_base)
        for company_id, sector, h_r_base in session.execute(
            select(Company.id, Industry.sector, Industry.h_r_base)
            .join(Industry, Industry.id == Company.industry_id)
            .where(Company.id.in_(company_ids), Company.is_deleted.is_(False))
        ).tuples()
    }
    latest: dict[uuid.UUID, AssessmentRow] = {}
    for row in session.execute(
        select(
            Assessment.id,
            Assessment.company_id,
            Assessment.talent_concentration,
            Assessment.market_cap_percentile,
            Assessment.alignment,
            Assessment.timing_factor,
        )
        .where(
            Assessment.company_id.in_(industries),
            Assessment.status.in_([status.value for status in SCORABLE_STATUSES]),
        )
        .order_by(
            Assessment.company_id,
            Assessment.assessment_date.desc(),
            Assessment.created_at.desc(),
            Assessment.id.desc(),
        )
    ).tuples():
        if row[1] not in latest:
            latest[row[1]] = AssessmentRow(*row)
    # Keyed by the id's text: parsing seven UUIDs per company would cost more than scoring.
    dimensions: dict[str, list[DimensionRow]] = {str(a.id): [] for a in latest.values()}
    for assessment_id, dimension, score, evidence in session.execute(
        select(
            type_coerce(DimensionScore.assessment_id, String),
            DimensionScore.dimension,
            DimensionScore.score,
            DimensionScore.evidence_count,
        ).where(DimensionScore.assessment_id.in_([a.id for a in latest.values()]))
    ).tuples():
        dimensions[assessment_id].append(DimensionRow(dimension, score, evidence))

    inputs_of: dict[uuid.UUID, CompanyInputs] = {}
    for company_id in company_ids:
        industry = industries.get(company_id)
        assessment = latest.get(company_id)
        if industry is None:
            failures.append(
                CompanyFailure(company_id, None, FailureCode.COMPANY_DELETED,
                               "the company was deleted after the job started")
            )  # fmt: skip
            continue
        if assessment is None:
            failures.append(
                CompanyFailure(company_id, None, FailureCode.NO_SCORABLE_ASSESSMENT,
                               "no submitted or approved assessment to score")
            )  # fmt: skip
            continue
        try:
            inputs_of[company_id] = build_inputs(
                assessment, industry, dimensions[str(assessment.id)]
            )
        except IncompleteAssessment as exc:
            failures.append(
                CompanyFailure(company_id, assessment.id, FailureCode.INCOMPLETE_ASSESSMENT,
                               f"cannot score: {exc}")
            )  # fmt: skip
        except ValidationError as exc:
            failures.append(
                CompanyFailure(company_id, assessment.id, FailureCode.INVALID_INPUTS,
                               _validation_reason(exc))
            )  # fmt: skip
    return inputs_of, latest


def _validation_reason(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    ]
    return "invalid scoring inputs: " + "; ".join(problems)


# ------------------------------------------------------------------------ finalize


def finalize_job(res: WorkerResources, job_id: uuid.UUID) -> bool:
    """Write the report to S3 and move running → succeeded; True when this call did."""
    with res.database.sessions() as session:
        job = session.get(ScoringJob, job_id)
        if job is None or job.state != JobState.RUNNING:
            return False
        if job.scored + job.failed < job.total:
            log.warning("job_finalize_early", job_id=str(job_id), done=job.scored + job.failed)
            return False
        fund = session.get(Fund, job.fund_id)
        assert fund is not None  # foreign key
        report_json, report_csv = build_report(session, job, fund)
        json_key, csv_key = report_keys(job.fund_id, job_id)
    res.objects.put_bytes(json_key, report_json, content_type="application/json")
    res.objects.put_bytes(csv_key, report_csv, content_type="text/csv; charset=utf-8")
    with res.database.session() as session:
        now = utcnow()
        finished = _rowcount(
            session.execute(
                update(ScoringJob)
                .where(ScoringJob.id == job_id, ScoringJob.state == JobState.RUNNING.value)
                .values(
                    state=JobState.SUCCEEDED.value,
                    report_json_key=json_key,
                    report_csv_key=csv_key,
                    finished_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
    if finished:
        log.info("job_succeeded", job_id=str(job_id), report=json_key)
        _publish(res, job_id, res.events.completed)
    return bool(finished)


def fail_job(res: WorkerResources, job_id: uuid.UUID, reason: str) -> bool:
    """Move a queued or running job to failed; True when this call did."""
    with res.database.session() as session:
        now = utcnow()
        failed = _rowcount(
            session.execute(
                update(ScoringJob)
                .where(ScoringJob.id == job_id, ScoringJob.state.in_(ACTIVE_STATES))
                .values(state=JobState.FAILED.value, error=reason, finished_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        )
    if failed:
        log.error("job_failed", job_id=str(job_id), reason=reason)
        _publish(res, job_id, res.events.completed)
    return bool(failed)


# -------------------------------------------------------------------------- events


def _publish(
    res: WorkerResources,
    job_id: uuid.UUID,
    send: Callable[[ScoringJob], object],
    *,
    job: ScoringJob | None = None,
) -> None:
    """Publish an event about the job (its current row unless given).

    Events are how clients follow a job, not what the job's correctness rests on:
    when Redis is unreachable the event is dropped with a warning and the job goes
    on (the SSE endpoint falls back to the job row for its end).
    """
    try:
        if job is None:
            with res.database.sessions() as session:
                job = session.get(ScoringJob, job_id)
        if job is not None:
            send(job)
    except redis.RedisError as exc:
        log.warning("job_event_publish_failed", job_id=str(job_id), error=type(exc).__name__)
