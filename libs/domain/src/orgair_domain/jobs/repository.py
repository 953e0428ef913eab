"""The job rows: reads, the state transitions, and what a chunk records.

Every change of a job's state is one conditional UPDATE (`transition`): it moves the
job only from the states `MOVES_FROM` allows, so concurrent deliveries and a
cancellation cannot overwrite each other, and the caller learns whether its move
happened. A chunk writes under the job row's lock (`lock_running`, its first
statement) and only while the job runs; what it has written is what `already_done`
finds, so a redelivered chunk writes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Select, func, insert, select, update
from sqlalchemy.orm import Session

from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob, ScoringJobFailure
from orgair_domain.jobs.states import ACTIVE_STATES, MOVES_FROM, JobState
from orgair_domain.scores.failures import CompanyFailure
from orgair_domain.scores.models import OrgAirScore


def get(session: Session, job_id: uuid.UUID) -> ScoringJob | None:
    return session.get(ScoringJob, job_id)


def by_idempotency_key(session: Session, created_by: str, key: str) -> ScoringJob | None:
    return session.scalar(
        select(ScoringJob).where(
            ScoringJob.created_by == created_by, ScoringJob.idempotency_key == key
        )
    )


def active_for_fund(session: Session, fund_id: uuid.UUID) -> ScoringJob | None:
    return session.scalar(
        select(ScoringJob)
        .where(ScoringJob.fund_id == fund_id, ScoringJob.state.in_(ACTIVE_STATES))
        .order_by(ScoringJob.created_at.desc())
        .limit(1)
    )


def active_of_kind(
    session: Session,
    kind: JobKind,
    *,
    assessment_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None,
) -> ScoringJob | None:
    """The queued or running job of `kind` for that assessment (or company), if any."""
    query = select(ScoringJob).where(
        ScoringJob.kind == kind.value, ScoringJob.state.in_(ACTIVE_STATES)
    )
    if assessment_id is not None:
        query = query.where(ScoringJob.assessment_id == assessment_id)
    if company_id is not None:
        query = query.where(ScoringJob.company_id == company_id)
    return session.scalar(query.order_by(ScoringJob.created_at.desc()).limit(1))


def for_fund_query(fund_id: uuid.UUID) -> Select[tuple[ScoringJob]]:
    """The fund's jobs, newest first."""
    return (
        select(ScoringJob)
        .where(ScoringJob.fund_id == fund_id)
        .order_by(ScoringJob.created_at.desc(), ScoringJob.id)
    )


def failures(session: Session, job_id: uuid.UUID) -> list[ScoringJobFailure]:
    return list(
        session.scalars(
            select(ScoringJobFailure)
            .where(ScoringJobFailure.job_id == job_id)
            .order_by(ScoringJobFailure.created_at, ScoringJobFailure.company_id)
        )
    )


# ---------------------------------------------------------------- transitions


def _changes_a_row(session: Session, statement: Any) -> bool:
    """Run an UPDATE of job rows; True when it matched one."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return isinstance(result, CursorResult) and result.rowcount > 0


def transition(
    session: Session, job_id: uuid.UUID, to: JobState, *, now: datetime, **values: Any
) -> bool:
    """Move the job to `to` (setting `values` too) when its state allows; True when it
    moved. The caller commits."""
    return _changes_a_row(
        session,
        update(ScoringJob)
        .where(ScoringJob.id == job_id, ScoringJob.state.in_(MOVES_FROM[to]))
        .values(state=to.value, updated_at=now, **values),
    )


def record_chunks_enqueued(session: Session, job_id: uuid.UUID, now: datetime) -> None:
    """Every chunk task was published: a redelivered start fans out no more."""
    _changes_a_row(
        session,
        update(ScoringJob).where(ScoringJob.id == job_id).values(chunks_enqueued_at=now),
    )


# --------------------------------------------------------------------- chunks


def lock_running(session: Session, job_id: uuid.UUID, now: datetime) -> bool:
    """Lock the job row until commit, if the job still runs (the chunk's first statement:
    SQLite takes its write lock here). False: cancelled or ended, write nothing."""
    return _changes_a_row(
        session,
        update(ScoringJob)
        .where(ScoringJob.id == job_id, ScoringJob.state == JobState.RUNNING.value)
        .values(updated_at=now),
    )


def already_done(
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


def record_failures(
    session: Session, job_id: uuid.UUID, failed: Sequence[CompanyFailure], now: datetime
) -> None:
    if failed:
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
                for f in failed
            ],
        )


def add_progress(session: Session, job_id: uuid.UUID, *, scored: int, failed: int) -> None:
    """Count a chunk's scores and failures, in the transaction that wrote them."""
    _changes_a_row(
        session,
        update(ScoringJob)
        .where(ScoringJob.id == job_id)
        .values(scored=ScoringJob.scored + scored, failed=ScoringJob.failed + failed),
    )


def count_in_state(session: Session, state: JobState) -> int:
    return session.scalar(select(func.count()).where(ScoringJob.state == state.value)) or 0
