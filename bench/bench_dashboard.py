"""Benchmark: the dashboard's fund page of a 10,000-company fund against the raw API call
for the same data, in the same run.

    uv run python bench/bench_dashboard.py [--companies 10000] [--requests 40]

The stack runs as in `make dev`: Redis and the S3 server (started here on loopback), the
scoring API, a worker and the gateway as their own processes, one SQLite database. The
fund's members are seeded in bulk (tests/worker/portfolio), scored by a real fund job
(so every member has a current approved Org-AI-R), then measured one request at a time,
interleaved so that both see the same machine:

- api:     GET /api/v2/funds/{id}/summary through the gateway with an API key — the data
           the page is built from, as a client would fetch it;
- page:    GET /dashboard/funds/{id} with a session cookie — the same summary fetched by
           the gateway as the session's key, plus the fund's jobs and the profile list,
           charts and three paged tables rendered to HTML;
- sorted:  the page with its member table sorted by Org-AI-R and filtered by name (the
           10,000 rows sorted and filtered in the page layer).

Prints p50/p95/max of each and the page's cost over the API call. Target (issue 15): the
fund page under 300 ms at p95.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from orgair_auth import ApiKeyRepository, Role  # noqa: E402
from orgair_cli.devstack import (  # noqa: E402
    ProcessGroup,
    free_port,
    python_service_spec,
    worker_spec,
)
from orgair_config import Settings  # noqa: E402
from orgair_database import Database  # noqa: E402
from orgair_init.migrate import upgrade  # noqa: E402
from orgair_init.seed import seed  # noqa: E402
from orgair_objectstore import ObjectStore  # noqa: E402
from tests.support.servers import running_redis, running_s3  # noqa: E402
from tests.worker.portfolio import seed_scorable_companies  # noqa: E402

TARGET_P95_MS = 300.0
SECRET_KEY = "bench-secret-key-" + uuid.uuid4().hex
WARM_UP = 3
JOB_TIMEOUT_SECONDS = 600
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def settings_values(redis_url: str, s3_url: str, work: Path) -> dict[str, str]:
    base = redis_url.rsplit("/", 1)[0]
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "REDIS_URL": f"{base}/0",
        "CELERY_BROKER_URL": f"{base}/1",
        "CELERY_RESULT_BACKEND": f"{base}/2",
        "S3_ENDPOINT_URL": s3_url,
        "S3_BUCKET": "orgair-bench",
        "SCORING_PORT": str(free_port()),
        "GATEWAY_PORT": str(free_port()),
        "RATE_LIMIT_PER_MINUTE": "1000",
        "FUND_JOB_CHUNK_SIZE": "500",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "WORKER_HEARTBEAT_FILE": str(work / "worker.heartbeat"),
        "WORKER_HEARTBEAT_INTERVAL_SECONDS": "1",
    }


def prepare(values: dict[str, Any], companies: int) -> tuple[list[uuid.UUID], str]:
    """Schema, reference data, bucket, the companies, and an analyst key."""
    settings = Settings(_env_file=None, **values)
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    engine = create_engine(settings.database_url)
    try:
        seeded = seed_scorable_companies(engine, companies, name_prefix="Bench Co")
    finally:
        engine.dispose()
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            issued = ApiKeyRepository(session, SECRET_KEY).create(
                name="bench analyst", role=Role.ANALYST
            )
    finally:
        database.dispose()
    return [company.company_id for company in seeded], issued.key


def scored_fund(api: httpx.Client, company_ids: list[uuid.UUID]) -> str:
    members = [
        {"company_id": str(company), "ev_usd": 1e6 * (1 + index % 97)}
        for index, company in enumerate(company_ids)
    ]
    fund = api.post("/api/v2/funds", json={"name": "Bench fund", "members": members})
    fund.raise_for_status()
    fund_id: str = fund.json()["id"]
    job = api.post(f"/api/v2/funds/{fund_id}/scoring-jobs", json={})
    job.raise_for_status()
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        state = api.get(f"/api/v2/jobs/{job.json()['id']}").json()
        if state["state"] in {"succeeded", "failed", "cancelled"}:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the scoring job did not finish: {state}")
        time.sleep(0.5)
    if state["state"] != "succeeded":
        raise RuntimeError(f"the scoring job ended {state['state']}: {state.get('error')}")
    return fund_id


def signed_in(gateway: str, key: str) -> httpx.Client:
    client = httpx.Client(base_url=gateway, timeout=60, headers={"Accept": "text/html"})
    form = client.get("/dashboard/sign-in")
    token = FORM_TOKEN.search(form.text)
    if token is None:
        raise RuntimeError("the sign-in page has no form token")
    answer = client.post("/dashboard/sign-in", data={"form_token": token.group(1), "api_key": key})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    return client


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests of each kind")
    args = parser.parse_args()
    if args.companies < 1 or args.requests < 2:
        parser.error("--companies must be at least 1 and --requests at least 2")
    print(f"fund of {args.companies:,} companies; {args.requests} requests of each kind, "
          f"one at a time; machine: {os.cpu_count()} CPUs")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="orgair-bench-dashboard-"))
    with running_redis() as redis_server, running_s3() as s3_url:
        values = settings_values(redis_server.url, s3_url, work)
        company_ids, key = prepare(values, args.companies)
        group = ProcessGroup(work / "logs", base_env={**os.environ, **values})
        scoring = f"http://127.0.0.1:{values['SCORING_PORT']}"
        gateway = f"http://127.0.0.1:{values['GATEWAY_PORT']}"
        try:
            group.start(python_service_spec("scoring", "orgair_scoring_api",
                                            ready_url=f"{scoring}/readyz"))  # fmt: skip
            group.start(worker_spec(Path(values["WORKER_HEARTBEAT_FILE"]), cwd=work))
            group.start(python_service_spec("gateway", "orgair_gateway",
                                            ready_url=f"{gateway}/readyz"))  # fmt: skip
            with httpx.Client(base_url=gateway, headers={"X-API-Key": key}, timeout=120) as api:
                fund_id = scored_fund(api, company_ids)
                answer = api.get(f"/api/v2/funds/{fund_id}/summary")
                summary = answer.json()
                print(f"fund scored: {summary['scored_count']:,} of {summary['member_count']:,} "
                      f"members with a current approved score; summary "
                      f"{len(answer.content) / 1e6:.1f} MB")  # fmt: skip
                pages = signed_in(gateway, key)
                kinds: dict[str, Callable[[], httpx.Response]] = {
                    "api": lambda: api.get(f"/api/v2/funds/{fund_id}/summary"),
                    "page": lambda: pages.get(f"/dashboard/funds/{fund_id}"),
                    "sorted": lambda: pages.get(
                        f"/dashboard/funds/{fund_id}",
                        params={"m_sort": "org_air", "m_dir": "desc", "m_q": "co 0"},
                    ),
                }
                figures: dict[str, list[float]] = {name: [] for name in kinds}
                for round_number in range(WARM_UP + args.requests):
                    for name, call in kinds.items():
                        elapsed = timed(call)
                        if round_number >= WARM_UP:
                            figures[name].append(elapsed)
                pages.close()
        finally:
            group.stop()
    print()
    print(f"{'':<8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values_ms in figures.items():
        print(f"{name:<8}{statistics.median(values_ms):>10.1f}{percentile(values_ms, 0.95):>10.1f}"
              f"{max(values_ms):>10.1f}")  # fmt: skip
    api_p50, page_p50 = statistics.median(figures["api"]), statistics.median(figures["page"])
    page_p95 = percentile(figures["page"], 0.95)
    print(f"page / api at p50: {page_p50 / api_p50:.2f}x (+{page_p50 - api_p50:.1f} ms); "
          f"at p95: {page_p95 / percentile(figures['api'], 0.95):.2f}x")  # fmt: skip
    verdict = "met" if page_p95 < TARGET_P95_MS else "MISSED"
    print(f"target: fund page p95 < {TARGET_P95_MS:.0f} ms: {verdict} ({page_p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
