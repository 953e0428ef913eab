"""Fund scoring jobs: start (snapshot and fan out), score a chunk, finalize, fail.

Every step is idempotent, because the broker may deliver a task more than once
(acks late: a worker that dies mid-task has its task redelivered):

- start moves the job queued → running once; a repeated start only re-reads the
  snapshot (the fund's members as of the job's creation, a fixed set).
- a chunk computes outside any lock and writes under the job row's lock, skipping
  what an earlier delivery wrote (`chunks`).
- finalize writes the report and moves running → succeeded once.
(A failing task ends the job through `job_endings.fail_job`, whatever its kind.)

Each state change is a transition of the jobs repository (`orgair_domain.jobs.
repository.transition`); events go out after the change is committed (`job_events`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from orgair_database import utcnow
from orgair_domain.funds import repository as funds
from orgair_domain.funds.models import Fund
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.states import ACTIVE_STATES, JobState
from orgair_domain.scores.invalidation import invalidate_after_scoring_many
from orgair_observability import get_logger
from orgair_observability.metrics import SCORES_COMPUTED
from orgair_worker import chunks
from orgair_worker.job_events import publish
from orgair_worker.reports import build_report, report_keys
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)


@dataclass(frozen=True)
class ChunkOutcome:
    scored: int
    failed: int
    job_running: bool
    job_complete: bool


# --------------------------------------------------------------------------- start


def start_job(res: WorkerResources, job_id: uuid.UUID) -> list[list[uuid.UUID]] | None:
    """queued → running with the fund's members as of the job's creation.

    Returns the chunks to fan out, or None when there is nothing to do (unknown,
    cancelled or finished job, or its chunks were already published).
    """
    with res.database.session() as session:
        job = jobs.get(session, job_id)
        if job is None:
            log.warning("job_not_found", job_id=str(job_id))
            return None
        if job.state not in ACTIVE_STATES or job.chunks_enqueued_at is not None:
            log.info("job_start_skipped", job_id=str(job_id), state=job.state)
            return None
        if job.fund_id is None:  # another kind of job: not this task's to start
            log.warning("job_kind_mismatch", job_id=str(job_id), kind=job.kind)
            return None
        members = funds.members_as_of(session, job.fund_id, job.created_at)
        now = utcnow()
        claimed = jobs.transition(
            session,
            job_id,
            JobState.RUNNING,
            now=now,
            total=len(members),
            started_at=job.started_at or now,
        )
        if not claimed:
            return None
    size = res.settings.FUND_JOB_CHUNK_SIZE
    log.info("job_started", job_id=str(job_id), total=len(members), chunk_size=size)
    publish(res, job_id, lambda job: res.events.progress(job))
    return [members[start : start + size] for start in range(0, len(members), size)]


def mark_chunks_enqueued(res: WorkerResources, job_id: uuid.UUID) -> None:
    with res.database.session() as session:
        jobs.record_chunks_enqueued(session, job_id, utcnow())


# --------------------------------------------------------------------------- chunk


def score_chunk(
    res: WorkerResources, job_id: uuid.UUID, company_ids: Sequence[uuid.UUID]
) -> ChunkOutcome:
    """Score the companies of one chunk that this job has not scored yet."""
    with res.database.sessions() as session:
        job = jobs.get(session, job_id)
        if job is None or job.state != JobState.RUNNING:
            return ChunkOutcome(0, 0, job_running=False, job_complete=False)
        done_before = jobs.already_done(session, job_id, company_ids)
        pending = [company for company in company_ids if company not in done_before]
        threshold = res.settings.HITL_SCORE_CHANGE_THRESHOLD
        computed = (
            chunks.compute(session, job, pending, threshold) if pending else chunks.ScoredChunk()
        )

    with res.database.sessions() as session:
        written = chunks.write(session, job_id, company_ids, computed)
    if not written.job_running or written.job is None:
        return ChunkOutcome(0, 0, job_running=False, job_complete=False)
    job, rows, failures = written.job, written.rows, written.failures
    if rows:
        invalidate_after_scoring_many(
            res.cache, [row["company_id"] for row, _ in rows], written.changed_assessments
        )
        for status in {status for _, status in rows}:
            SCORES_COMPUTED.labels("job", status.value).inc(sum(1 for _, s in rows if s == status))
    if rows or failures:
        events = [f.as_event() for f in failures]
        publish(res, job_id, lambda current: res.events.progress(current, events), job=job)
    return ChunkOutcome(
        scored=len(rows),
        failed=len(failures),
        job_running=True,
        job_complete=job.scored + job.failed >= job.total,
    )


# ------------------------------------------------------------------------ finalize


def finalize_job(res: WorkerResources, job_id: uuid.UUID) -> bool:
    """Write the report to S3 and move running → succeeded; True when this call did."""
    with res.database.sessions() as session:
        job = jobs.get(session, job_id)
        if job is None or job.state != JobState.RUNNING:
            return False
        if job.scored + job.failed < job.total:
            log.warning("job_finalize_early", job_id=str(job_id), done=job.scored + job.failed)
            return False
        fund = session.get(Fund, job.fund_id)
        assert fund is not None  # foreign key
        report_json, report_csv = build_report(session, job, fund)
        json_key, csv_key = report_keys(fund.id, job_id)
    res.objects.put_bytes(json_key, report_json, content_type="application/json")
    res.objects.put_bytes(csv_key, report_csv, content_type="text/csv; charset=utf-8")
    with res.database.session() as session:
        now = utcnow()
        finished = jobs.transition(
            session,
            job_id,
            JobState.SUCCEEDED,
            now=now,
            report_json_key=json_key,
            report_csv_key=csv_key,
            finished_at=now,
        )
    if finished:
        log.info("job_succeeded", job_id=str(job_id), report=json_key)
        publish(res, job_id, res.events.completed)
    return finished
