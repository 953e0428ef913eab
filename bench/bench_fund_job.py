"""Benchmark: scoring a 10,000-company fund with a job through the worker vs the same
scoring done in-process by the synchronous API path, in the same run, on SQLite and
on PostgreSQL.

    uv run python bench/bench_fund_job.py [--companies 10000] [--backends sqlite postgres]
                                          [--concurrency 2] [--chunk-size 500]

For each backend, two identical databases are seeded with the same companies (each
with a submitted assessment: seven dimension scores and its scoring inputs):

- job: the scoring API (`python -m orgair_scoring_api`) and one worker
  (`python -m orgair_worker`, prefork pool of --concurrency processes) run as their
  own processes, as in `make dev`; the fund is created through the API, then the
  clock runs from `POST /funds/{id}/scoring-jobs` until the job's SSE stream delivers
  `completed` (every score stored and gated, the report written to S3). A small job
  runs first so that the worker processes have imported and connected, as a
  long-running worker has.
- sync: a loop that calls the v2 score endpoint's service function
  (`scores.service.score_assessment`: one company per call, its own session and
  commit, as one `POST /assessments/{id}/score` request) for every company.

Both store and gate the same 10,000 scores. Redis, the S3 server and PostgreSQL are
started by the benchmark on loopback (PostgreSQL as the tests start it; skipped when
its binaries are missing). Target (issue 5): >= 2,000 companies/s end to end on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

# The seeding helper and the PostgreSQL starter are the tests' own.
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from orgair_auth import Identity, IdentitySigner, Role, body_sha256  # noqa: E402
from orgair_cache import Cache  # noqa: E402
from orgair_cli.devstack import (  # noqa: E402
    ProcessGroup,
    free_port,
    python_service_spec,
    worker_spec,
)
from orgair_config import Settings  # noqa: E402
from orgair_database import Database  # noqa: E402
from orgair_domain.scores.service import score_assessment  # noqa: E402
from orgair_init.migrate import upgrade  # noqa: E402
from orgair_init.seed import seed  # noqa: E402
from orgair_objectstore import ObjectStore  # noqa: E402
from tests.support.servers import running_postgres, running_redis, running_s3  # noqa: E402
from tests.worker.portfolio import seed_scorable_companies  # noqa: E402

TARGET_PER_SECOND_SQLITE = 2_000
SECRET_KEY = "bench-secret-key-" + uuid.uuid4().hex
WARM_UP_COMPANIES = 20
JOB_TIMEOUT_SECONDS = 900


class SignedIdentity(httpx.Auth):
    """Signs requests as the gateway does (scoring only accepts the gateway's identity)."""

    requires_request_body = True

    def __init__(self) -> None:
        self.identity = Identity(key_id="bench-analyst", role=Role.ANALYST)
        self.signer = IdentitySigner(SECRET_KEY)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        target = request.url.raw_path.decode("ascii")
        digest = body_sha256(request.content)  # the body as sent (read: requires_request_body)
        for name, value in self.signer.sign(self.identity, request.method, target, digest):
            request.headers[name] = value
        yield request


@dataclass(frozen=True)
class Figures:
    backend: str
    companies: int
    job_seconds: float
    sync_seconds: float

    def report(self) -> str:
        job_rate = self.companies / self.job_seconds
        sync_rate = self.companies / self.sync_seconds
        return (
            f"{self.backend:<9} job via worker: {self.job_seconds:7.2f} s  "
            f"{job_rate:9,.0f} companies/s | sync loop: {self.sync_seconds:7.2f} s  "
            f"{sync_rate:9,.0f} companies/s | job/sync: {job_rate / sync_rate:5.1f}x"
        )


def settings_values(
    database_url: str, redis_url: str, s3_url: str, work: Path, args: argparse.Namespace
) -> dict[str, str]:
    redis_base = redis_url.rsplit("/", 1)[0]
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": f"{redis_base}/0",
        "CELERY_BROKER_URL": f"{redis_base}/1",
        "CELERY_RESULT_BACKEND": f"{redis_base}/2",
        "S3_ENDPOINT_URL": s3_url,
        "S3_BUCKET": "orgair-bench",
        "SCORING_PORT": str(free_port()),
        "WORKER_CONCURRENCY": str(args.concurrency),
        "FUND_JOB_CHUNK_SIZE": str(args.chunk_size),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "WORKER_HEARTBEAT_FILE": str(work / "worker.heartbeat"),
        "WORKER_HEARTBEAT_INTERVAL_SECONDS": "1",
    }


def prepare(values: dict[str, Any], companies: int) -> tuple[Settings, list[uuid.UUID]]:
    settings = Settings(_env_file=None, **values)
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    engine = create_engine(settings.database_url)
    try:
        seeded = seed_scorable_companies(engine, companies, name_prefix="Bench")
    finally:
        engine.dispose()
    return settings, [company.company_id for company in seeded]


def completed_event(api: httpx.Client, job_id: str) -> dict[str, Any]:
    """Follow the job's event stream until `completed`."""
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    kind = ""
    with api.stream(
        "GET", f"/api/v2/jobs/{job_id}/events", timeout=httpx.Timeout(10.0, read=60.0)
    ) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} did not complete in {JOB_TIMEOUT_SECONDS}s")
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "completed":
                event: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return event
    raise RuntimeError(f"the event stream of job {job_id} ended without `completed`")


def run_job(api: httpx.Client, company_ids: list[uuid.UUID]) -> tuple[float, dict[str, Any]]:
    members = [{"company_id": str(company)} for company in company_ids]
    fund = api.post("/api/v2/funds", json={"name": f"Bench {len(members)}", "members": members})
    fund.raise_for_status()
    started = time.perf_counter()
    job = api.post(f"/api/v2/funds/{fund.json()['id']}/scoring-jobs")
    job.raise_for_status()
    event = completed_event(api, job.json()["id"])
    return time.perf_counter() - started, event


def job_path(values: dict[str, str], company_ids: list[uuid.UUID], work: Path) -> float:
    """Seconds from POST to `completed` for all but the first WARM_UP_COMPANIES companies."""
    group = ProcessGroup(work / "logs", base_env={**os.environ, **values})
    scoring_url = f"http://127.0.0.1:{values['SCORING_PORT']}"
    try:
        group.start(
            python_service_spec("scoring", "orgair_scoring_api", ready_url=f"{scoring_url}/readyz")
        )
        group.start(worker_spec(Path(values["WORKER_HEARTBEAT_FILE"]), cwd=work))
        with httpx.Client(base_url=scoring_url, auth=SignedIdentity(), timeout=60) as api:
            warm_up, measured = company_ids[:WARM_UP_COMPANIES], company_ids[WARM_UP_COMPANIES:]
            run_job(api, warm_up)
            seconds, event = run_job(api, measured)
        if (event["state"], event["scored"], event["failed"]) != ("succeeded", len(measured), 0):
            raise RuntimeError(f"job did not score every company: {event}")
        return seconds
    finally:
        group.stop()


def sync_path(settings: Settings, company_ids: list[uuid.UUID]) -> float:
    database = Database.from_settings(settings)
    cache = Cache.from_url(settings.REDIS_URL)
    try:
        with database.sessions() as session:
            assessments = [
                row[0]
                for row in session.execute(
                    text("SELECT id FROM assessments WHERE status = 'submitted'")
                )
            ]
        if len(assessments) != len(company_ids):
            raise RuntimeError("the sync database holds other assessments")
        started = time.perf_counter()
        for assessment_id in assessments:
            # One request's worth: its own session, the service function, its commit.
            with database.sessions() as session:
                score_assessment(
                    session, cache, settings, uuid.UUID(str(assessment_id)),
                    profile=None, actor="bench-analyst",
                )  # fmt: skip
        return time.perf_counter() - started
    finally:
        cache.close()
        database.dispose()


@contextlib.contextmanager
def database_pair(backend: str, work: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of the backend: one for the job, one for the sync loop."""
    if backend == "sqlite":
        yield f"sqlite:///{work / 'job.db'}", f"sqlite:///{work / 'sync.db'}"
        return
    with running_postgres() as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in ("bench_job", "bench_sync"):
                connection.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
        base = url.rsplit("/", 1)[0]
        yield f"{base}/bench_job", f"{base}/bench_sync"


def run_backend(
    backend: str, redis_url: str, s3_url: str, args: argparse.Namespace
) -> Figures | None:
    work = Path(tempfile.mkdtemp(prefix=f"orgair-bench-{backend}-"))
    try:
        with database_pair(backend, work) as (job_url, sync_url):
            job_values = settings_values(job_url, redis_url, s3_url, work, args)
            # The job database has the warm-up job's companies on top.
            _, job_companies = prepare(job_values, WARM_UP_COMPANIES + args.companies)
            sync_settings, sync_companies = prepare(
                settings_values(sync_url, redis_url, s3_url, work, args), args.companies
            )
            print(f"{backend}: seeded 2 x {args.companies:,} companies", flush=True)
            job_seconds = job_path(job_values, job_companies, work)
            print(f"{backend}: job done in {job_seconds:.2f} s", flush=True)
            sync_seconds = sync_path(sync_settings, sync_companies)
    except RuntimeError as exc:
        if backend == "postgres" and "PostgreSQL" in str(exc):
            print(f"postgres: skipped ({exc})")
            return None
        raise
    return Figures(backend, args.companies, job_seconds, sync_seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--chunk-size", type=int, default=500, help="FUND_JOB_CHUNK_SIZE")
    args = parser.parse_args()
    if args.companies < 1:
        parser.error("--companies must be at least 1")
    print(
        f"fund of {args.companies:,} companies; worker: {args.concurrency} processes, "
        f"chunks of {args.chunk_size}; machine: {os.cpu_count()} CPUs"
    )
    figures: list[Figures] = []
    with running_redis() as redis_server, running_s3() as s3_url:
        for backend in args.backends:
            result = run_backend(backend, redis_server.url, s3_url, args)
            if result is not None:
                figures.append(result)
    print()
    for result in figures:
        print(result.report())
    sqlite = next((f for f in figures if f.backend == "sqlite"), None)
    if sqlite is not None:
        rate = sqlite.companies / sqlite.job_seconds
        verdict = "met" if rate >= TARGET_PER_SECOND_SQLITE else "MISSED"
        print(
            f"target >= {TARGET_PER_SECOND_SQLITE:,} companies/s end to end on SQLite: "
            f"{verdict} ({rate:,.0f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
