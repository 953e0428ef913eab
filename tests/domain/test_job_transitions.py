"""Job state transitions: one conditional UPDATE each, allowed only from `MOVES_FROM`."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.funds.models import Fund
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.states import MOVES_FROM, JobState
from orgair_domain.parameters.models import ParameterProfile


def new_job(session: Session, state: JobState) -> uuid.UUID:
    now = utcnow()
    fund = Fund(name="Fund", created_at=now, updated_at=now)
    digest = uuid.uuid4().hex  # (version, hash) is unique
    profile = ParameterProfile(
        version="v2.0",
        parameters_hash=digest,
        value_creation_hash=digest,
        parameters="{}",
        source="builtin",
    )
    session.add_all([fund, profile])
    session.flush()
    job = ScoringJob(
        fund_id=fund.id,
        profile_id=profile.id,
        parameters_version="v2.0",
        parameters_hash=digest,
        state=state.value,
        created_by="test",
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.commit()
    return job.id


def state_of(session: Session, job_id: uuid.UUID) -> str:
    job = session.get(ScoringJob, job_id, populate_existing=True)
    assert job is not None
    return job.state


@pytest.mark.parametrize("target", list(MOVES_FROM))
@pytest.mark.parametrize("current", list(JobState))
def test_a_transition_moves_only_from_the_states_it_allows(
    session: Session, current: JobState, target: JobState
) -> None:
    job_id = new_job(session, current)
    moved = jobs.transition(session, job_id, target, now=utcnow())
    session.commit()
    assert moved is (current.value in MOVES_FROM[target])
    assert state_of(session, job_id) == (target.value if moved else current.value)


def test_terminal_states_are_left_by_no_transition() -> None:
    for terminal in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
        assert all(terminal.value not in sources for sources in MOVES_FROM.values())


def test_a_transition_sets_its_values_and_the_update_time(session: Session) -> None:
    job_id = new_job(session, JobState.RUNNING)
    now = utcnow()
    assert jobs.transition(session, job_id, JobState.FAILED, now=now, error="why", finished_at=now)
    session.commit()
    job = session.get(ScoringJob, job_id, populate_existing=True)
    assert job is not None
    assert (job.state, job.error, job.finished_at, job.updated_at) == ("failed", "why", now, now)


def test_a_chunk_locks_only_a_running_job(session: Session) -> None:
    running, cancelled = new_job(session, JobState.RUNNING), new_job(session, JobState.CANCELLED)
    assert jobs.lock_running(session, running, utcnow()) is True
    assert jobs.lock_running(session, cancelled, utcnow()) is False
    session.rollback()


def test_unknown_job_moves_nowhere(session: Session) -> None:
    assert jobs.transition(session, uuid.uuid4(), JobState.CANCELLED, now=utcnow()) is False
