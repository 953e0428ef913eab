"""The steps of a fund job called directly, as a redelivering broker would call them:
every one of them can run twice (or concurrently with its twin) without a second write."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from orgair_config import Settings
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.scores.models import OrgAirScore
from orgair_worker import fund_jobs
from orgair_worker.job_endings import fail_job
from orgair_worker.reports import report_keys
from orgair_worker.runtime import WorkerResources
from tests.api_v2.helpers import V2
from tests.worker.portfolio import seed_scorable_companies


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    """Both databases: the lock-then-check protocol differs underneath (SQLite's database
    write lock, PostgreSQL's row lock under READ COMMITTED)."""
    if request.param == "sqlite":
        return make_settings()
    server: str = request.getfixturevalue("postgres_url")
    database = f"steps_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {database}"))
    engine.dispose()
    return make_settings(DATABASE_URL=f"{server.rsplit('/', 1)[0]}/{database}")


@pytest.fixture
def resources(client: TestClient, migrated: Settings) -> Iterator[WorkerResources]:
    worker = WorkerResources.from_settings(migrated)
    yield worker
    worker.close()


def new_job(
    client: TestClient, resources: WorkerResources, count: int
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    companies = seed_scorable_companies(resources.database.engine, count, name_prefix="Step")
    members = [{"company_id": str(c.company_id)} for c in companies]
    fund = client.post(f"{V2}/funds", json={"name": "Steps", "members": members}).json()
    job = client.post(f"{V2}/funds/{fund['id']}/scoring-jobs")
    assert job.status_code == 202, job.text
    return uuid.UUID(job.json()["id"]), [c.company_id for c in companies]


def score_rows(resources: WorkerResources, job_id: uuid.UUID) -> int:
    with resources.database.sessions() as session:
        return session.scalar(select(func.count()).where(OrgAirScore.job_id == job_id)) or 0


def job_row(resources: WorkerResources, job_id: uuid.UUID) -> ScoringJob:
    with resources.database.sessions() as session:
        job = session.get(ScoringJob, job_id)
        assert job is not None
        return job


def test_each_step_twice_writes_once(client: TestClient, resources: WorkerResources) -> None:
    job_id, companies = new_job(client, resources, 12)
    chunks = fund_jobs.start_job(resources, job_id)
    assert chunks is not None and sorted(c for chunk in chunks for c in chunk) == sorted(companies)
    # Published but not yet marked: a second start fans out the same snapshot again.
    assert fund_jobs.start_job(resources, job_id) == chunks
    fund_jobs.mark_chunks_enqueued(resources, job_id)
    assert fund_jobs.start_job(resources, job_id) is None

    first = fund_jobs.score_chunk(resources, job_id, companies)
    again = fund_jobs.score_chunk(resources, job_id, companies)
    assert (first.scored, first.job_complete) == (12, True)
    assert (again.scored, again.failed, again.job_complete) == (0, 0, True)
    assert score_rows(resources, job_id) == 12
    assert job_row(resources, job_id).scored == 12

    assert fund_jobs.finalize_job(resources, job_id) is True
    assert fund_jobs.finalize_job(resources, job_id) is False
    job = job_row(resources, job_id)
    assert job.fund_id is not None and job.kind == "fund_scoring"
    assert (job.state, job.report_json_key) == ("succeeded", report_keys(job.fund_id, job_id)[0])
    assert resources.objects.get_bytes(job.report_csv_key or "").count(b"\n") == 13
    assert fund_jobs.score_chunk(resources, job_id, companies).job_running is False


def test_twin_deliveries_of_a_chunk_at_once_write_each_company_once(
    client: TestClient, resources: WorkerResources
) -> None:
    job_id, companies = new_job(client, resources, 40)
    fund_jobs.start_job(resources, job_id)
    outcomes: list[fund_jobs.ChunkOutcome] = []
    twins = [
        threading.Thread(
            target=lambda: outcomes.append(fund_jobs.score_chunk(resources, job_id, companies))
        )
        for _ in range(2)
    ]
    for twin in twins:
        twin.start()
    for twin in twins:
        twin.join(timeout=60)
    assert sorted(outcome.scored for outcome in outcomes) == [0, 40]
    assert score_rows(resources, job_id) == 40
    assert job_row(resources, job_id).scored == 40


def test_the_unique_key_refuses_a_second_score_of_a_company_in_one_job(
    client: TestClient, resources: WorkerResources
) -> None:
    job_id, companies = new_job(client, resources, 1)
    fund_jobs.start_job(resources, job_id)
    fund_jobs.score_chunk(resources, job_id, companies)
    with resources.database.sessions() as session:
        row = session.scalar(select(OrgAirScore).where(OrgAirScore.job_id == job_id))
        assert row is not None
        copy = {c.key: getattr(row, c.key) for c in OrgAirScore.__table__.columns}
    with pytest.raises(IntegrityError), resources.database.session() as session:
        session.execute(insert(OrgAirScore), [{**copy, "id": uuid.uuid4()}])


def test_a_chunk_of_a_cancelled_or_failed_job_writes_nothing(
    client: TestClient, resources: WorkerResources
) -> None:
    job_id, companies = new_job(client, resources, 5)
    fund_jobs.start_job(resources, job_id)
    assert client.delete(f"{V2}/jobs/{job_id}").json()["state"] == "cancelled"
    outcome = fund_jobs.score_chunk(resources, job_id, companies)
    assert (outcome.scored, outcome.job_running) == (0, False)
    assert score_rows(resources, job_id) == 0
    assert fund_jobs.finalize_job(resources, job_id) is False
    assert fail_job(resources, job_id, "too late") is False  # stays cancelled

    other, members = new_job(client, resources, 3)
    fund_jobs.start_job(resources, other)
    assert fail_job(resources, other, "score chunk: OperationalError persisted") is True
    failed = client.get(f"{V2}/jobs/{other}").json()
    assert (failed["state"], failed["error"]) == (
        "failed", "score chunk: OperationalError persisted"
    )  # fmt: skip
    assert fund_jobs.score_chunk(resources, other, members).scored == 0


def test_a_company_deleted_after_the_start_fails_alone(
    client: TestClient, resources: WorkerResources
) -> None:
    job_id, companies = new_job(client, resources, 3)
    fund_jobs.start_job(resources, job_id)
    assert client.delete(f"/api/v1/companies/{companies[0]}").status_code == 204
    outcome = fund_jobs.score_chunk(resources, job_id, companies)
    assert (outcome.scored, outcome.failed, outcome.job_complete) == (2, 1, True)
    errors = client.get(f"{V2}/jobs/{job_id}").json()["errors"]
    assert [(e["company_id"], e["code"]) for e in errors] == [
        (str(companies[0]), "company_deleted")
    ]
    # The counters are the job row's own: what a chunk adds is exactly what it wrote.
    with resources.database.session() as session:
        session.execute(update(ScoringJob).where(ScoringJob.id == job_id).values(total=4))
    assert fund_jobs.finalize_job(resources, job_id) is False  # not every company done
