"""One chunk of a fund job: compute outside any lock, then write under the job's lock.

Computing (`compute`) reads the chunk's inputs, scores them in one batch and gates
each score, writing nothing. Writing (`write`) opens with the job row's lock, and
only while the job runs (`jobs.repository.lock_running`): a cancelled job matches no
row, so nothing is written; otherwise the row stays locked until commit (SQLite: the
database write lock), which serialises the write phases of one job and lets a
cancellation wait for the chunk in progress. Under that lock the chunk skips every
company that already has a score or a failure for this job, then inserts the rest
and adds them to the job's counters in the same transaction. A redelivered chunk
therefore writes nothing twice, and the unique (job_id, company_id) keys make a second
row impossible where the database enforces them.

Each company is gated exactly as `POST /assessments/{id}/score` gates it, by the same
functions: `build_inputs` (through `bulk_inputs`), `new_score_values` (the review gate
against the current approved score) and, for an auto-approved score,
`settle_approved_assessments` (what `approve` does to the assessments, here for a
whole chunk at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.parameters.models import ParameterProfile
from orgair_domain.scores.approval import settle_approved_assessments
from orgair_domain.scores.bulk_inputs import load_inputs
from orgair_domain.scores.current import current_approved_many
from orgair_domain.scores.failures import CompanyFailure, FailureCode
from orgair_domain.scores.review_gate import ReviewStatus
from orgair_domain.scores.rows import insert_score_rows, new_score_values
from orgair_scoring import ColumnValidationError, ScoringParameters, score_batch


@dataclass
class ScoredChunk:
    """What a chunk computed, before it is written: score rows (column values) with the
    review gate's decision, and the companies that could not be scored."""

    rows: list[tuple[dict[str, Any], ReviewStatus]] = field(default_factory=list)
    failures: list[CompanyFailure] = field(default_factory=list)


@dataclass(frozen=True)
class WrittenChunk:
    """What the write phase recorded (nothing when the job no longer runs)."""

    job_running: bool
    rows: list[tuple[dict[str, Any], ReviewStatus]] = field(default_factory=list)
    failures: list[CompanyFailure] = field(default_factory=list)
    # Assessments whose status the auto-approved scores changed.
    changed_assessments: set[uuid.UUID] = field(default_factory=set)
    job: ScoringJob | None = None


def compute(
    session: Session, job: ScoringJob, company_ids: Sequence[uuid.UUID], change_threshold: float
) -> ScoredChunk:
    """Inputs, scores and review-gate decisions of the chunk's companies (nothing written)."""
    profile = session.get(ParameterProfile, job.profile_id)
    assert profile is not None  # foreign key
    # The numbers recorded when the job was created, whatever this worker's settings say.
    params = ScoringParameters.model_validate_json(profile.parameters)
    loaded = load_inputs(session, company_ids)
    chunk = ScoredChunk(failures=loaded.failures)
    scorable = list(loaded.inputs)
    batch = None
    while scorable and batch is None:
        try:
            batch = score_batch([loaded.inputs[company] for company in scorable], params)
        except ColumnValidationError as exc:
            # CompanyInputs validated every value already; should a column still be
            # refused, that company fails and the others are scored.
            if exc.row is None:
                raise
            bad = scorable.pop(exc.row)
            chunk.failures.append(
                CompanyFailure(
                    bad, loaded.assessments[bad].id, FailureCode.INVALID_INPUTS, str(exc)
                )
            )
    if batch is None:
        return chunk
    previous = current_approved_many(session, scorable)
    for index, company_id in enumerate(scorable):
        values, status = new_score_values(
            assessment=loaded.assessments[company_id],
            inputs=loaded.inputs[company_id],
            result=batch.result(index),
            profile_id=profile.id,
            previous=previous.get(company_id),
            change_threshold=change_threshold,
            actor=job.created_by,
        )
        values["job_id"] = job.id
        chunk.rows.append((values, status))
    return chunk


def write(
    session: Session, job_id: uuid.UUID, company_ids: Sequence[uuid.UUID], computed: ScoredChunk
) -> WrittenChunk:
    """Record what `compute` found for the companies this job has not done yet; commits."""
    now = utcnow()
    if not jobs.lock_running(session, job_id, now):  # first statement: the job row's lock
        session.rollback()
        return WrittenChunk(job_running=False)
    done = jobs.already_done(session, job_id, company_ids)
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
    insert_score_rows(session, [row for row, _ in rows])
    jobs.record_failures(session, job_id, failures, now)
    jobs.add_progress(session, job_id, scored=len(rows), failed=len(failures))
    job = session.get(ScoringJob, job_id, populate_existing=True)
    assert job is not None
    session.commit()
    return WrittenChunk(
        job_running=True, rows=rows, failures=failures, changed_assessments=changed, job=job
    )
