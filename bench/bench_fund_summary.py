"""Benchmark: the fund summary of a 10,000-company fund computed in process, against the
way it was computed before (tests/domain/test_fund_summary.py keeps that reference),
interleaved in the same run.

    uv run python bench/bench_fund_summary.py [--companies 10000] [--rounds 9] [--postgres]

Every member has two approved scores (the current one must be chosen) and every 13th has
no EV. Measured one call at a time, in turns:

- reference:   members, then every approved score of the members in slices, reduced to
               the current one in Python, then validated models (the previous code);
- summary:     `summary_of`: one statement, models built without re-validation;
- fingerprint: the aggregate query the API's cache key carries (what a cache hit costs
               in the database).

Prints p50/p95 of each and the ratios. On SQLite by default; `--postgres` starts a
throw-away PostgreSQL cluster (the binaries must be installed).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import insert

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from orgair_database import Database, build_engine  # noqa: E402
from orgair_domain.funds.models import Fund, FundMembership  # noqa: E402
from orgair_domain.funds.service import fund_summary_fingerprint, summary_of  # noqa: E402
from orgair_domain.industries.seed import seed_industries  # noqa: E402
from orgair_domain.models import metadata  # noqa: E402
from orgair_domain.parameters.models import ParameterProfile  # noqa: E402
from orgair_domain.scores.models import OrgAirScore  # noqa: E402
from tests.domain.test_fund_summary import reference_summary  # noqa: E402
from tests.support.servers import running_postgres  # noqa: E402
from tests.worker.portfolio import seed_scorable_companies  # noqa: E402


@contextmanager
def database_url(postgres: bool) -> Iterator[str]:
    if postgres:
        with running_postgres() as url:
            yield url
    else:
        with TemporaryDirectory(prefix="orgair-bench-summary-") as work:
            yield f"sqlite:///{Path(work) / 'summary.db'}"


def seeded_fund(database: Database, companies: int) -> uuid.UUID:
    metadata.create_all(database.engine)
    with database.sessions() as session:
        seed_industries(session)
    seeded = seed_scorable_companies(database.engine, companies, name_prefix="Bench Co")
    rng = random.Random(7)
    now = datetime.now(UTC)
    with database.sessions() as session:
        profile = ParameterProfile(
            version="v2.0", parameters_hash=uuid.uuid4().hex, parameters="{}", source="builtin"
        )
        fund = Fund(name="Bench fund", created_at=now, updated_at=now)
        session.add_all([profile, fund])
        session.flush()
        scores, members = [], []
        for index, company in enumerate(seeded):
            for age in (timedelta(days=1), timedelta(0)):
                scores.append(
                    {"id": uuid.uuid4(), "assessment_id": company.assessment_id,
                     "company_id": company.company_id, "profile_id": profile.id,
                     "parameters_version": "v2.0", "parameters_hash": "bench", "inputs": "{}",
                     "result": "{}", "vr": 1.0, "hr": 1.0, "synergy": 1.0,
                     "org_air": rng.uniform(30, 90), "org_air_ci_lower": 0.0,
                     "org_air_ci_upper": 1.0, "review_status": "approved",
                     "review_reasons": "[]", "approved_at": now - age, "created_at": now - age}
                )  # fmt: skip
            members.append(
                {"id": uuid.uuid4(), "fund_id": fund.id, "company_id": company.company_id,
                 "ev_usd": None if index % 13 == 0 else 1e6 * (1 + index % 97),
                 "added_at": now, "removed_at": None, "added_by": None, "removed_by": None}
            )  # fmt: skip
        session.execute(insert(OrgAirScore), scores)
        session.execute(insert(FundMembership), members)
        session.commit()
        fund_id = fund.id
    if database.engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum would have gathered them after a bulk load.
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return fund_id


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.companies < 1 or args.rounds < 2:
        parser.error("--companies must be at least 1 and --rounds at least 2")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"fund of {args.companies:,} companies on {backend}; {args.rounds} rounds")
    with database_url(args.postgres) as url:
        database = Database(build_engine(url))
        try:
            fund_id = seeded_fund(database, args.companies)

            def run(kind: str) -> float:
                with database.sessions() as session:
                    fund = session.get(Fund, fund_id)
                    assert fund is not None
                    started = time.perf_counter()
                    if kind == "reference":
                        reference_summary(session, fund, datetime.now(UTC))
                    elif kind == "summary":
                        summary_of(session, fund)
                    else:
                        fund_summary_fingerprint(session, fund_id)
                    return (time.perf_counter() - started) * 1000

            with database.sessions() as session:
                fund = session.get(Fund, fund_id)
                assert fund is not None
                new = summary_of(session, fund)
                old = reference_summary(session, fund, new.computed_at)
                if new != old:
                    raise RuntimeError("the summary differs from the reference")
            kinds: list[str] = ["reference", "summary", "fingerprint"]
            timings: dict[str, list[float]] = {kind: [] for kind in kinds}
            measure: Callable[[str], float] = run
            for round_number in range(args.rounds + 1):
                for kind in kinds:
                    elapsed = measure(kind)
                    if round_number:  # the first round warms up
                        timings[kind].append(elapsed)
        finally:
            database.dispose()
    print(f"{'':<13}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, values in timings.items():
        print(f"{kind:<13}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}")
    ref, new_p50 = statistics.median(timings["reference"]), statistics.median(timings["summary"])
    print(
        f"summary / reference at p50: {new_p50 / ref:.2f}x; "
        f"fingerprint / reference: {statistics.median(timings['fingerprint']) / ref:.3f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
