"""Benchmark: value creation batched (NumPy) vs a plain Python loop, in the same run.

    uv run python bench/bench_value_creation.py [--projections 1000000] [--fund 10000]
                                                [--loop-projections 100000] [--loop-plans 300]

- EBITDA projections: `project_ebitda_batch` on columns vs a loop of `project_ebitda`.
- Improvement plans: `improvement_plans` on a fund's columns vs a loop of
  `improvement_plan`, one company at a time (what a caller without the batch entry point
  would write). The loop plans a sample and is extrapolated: it costs the same per
  company at any size.
- The fund figure is the engine time to plan every company of a `--fund`-sized fund
  (targets 5-25 points above today's score, some out of reach), median of a few runs
  after one warm-up, as wall time and as this process's CPU time (on a shared machine
  the difference is time spent waiting for a core).

Both paths give the same numbers (checked on the sample before timing).
Target (issue 12): a 10,000-company fund planned in well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from bench_score_batch import synthetic_columns

from orgair_scoring import (
    builtin_profile,
    improvement_plan,
    improvement_plans,
    project_ebitda,
    project_ebitda_batch,
    score_batch,
)

FUND_TARGET_SECONDS = 1.0
REPEATS = 5
THRESHOLD = 10.0


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_seconds(action: Callable[[], object]) -> float:
    action()  # warm-up: first-touch page faults, lazy imports
    return statistics.median(seconds(action) for _ in range(REPEATS))


def median_cpu_seconds(action: Callable[[], object]) -> float:
    """CPU time of this process: on a shared machine wall time also counts the waits."""
    action()
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return statistics.median(times)


def line(label: str, elapsed: float, count: int, unit: str) -> None:
    print(f"  {label:<52} {elapsed:>9.4f} s {count / elapsed:>14,.0f} {unit}/s")


def bench_projections(count: int, loop_count: int) -> float:
    params = builtin_profile("v2.0")
    rng = np.random.default_rng(2026)
    entry = rng.uniform(0, 90, count)
    target = entry + rng.uniform(0, 100 - entry)
    h_r = rng.uniform(0, 100, count)
    sample = range(min(loop_count, count))
    rows = [(float(entry[i]), float(target[i]), float(h_r[i])) for i in sample]

    batch = project_ebitda_batch(entry, target, h_r, params, review_threshold=THRESHOLD)
    for index, row in enumerate(rows[:1000]):
        assert batch.projection(index) == project_ebitda(*row, params, review_threshold=THRESHOLD)

    batched = median_seconds(
        lambda: project_ebitda_batch(entry, target, h_r, params, review_threshold=THRESHOLD)
    )
    looped = seconds(
        lambda: [project_ebitda(*row, params, review_threshold=THRESHOLD) for row in rows]
    )
    per_projection = looped / len(rows)
    print(f"EBITDA projections ({count:,})")
    line("project_ebitda_batch (columns)", batched, count, "projections")
    line(
        f"loop of project_ebitda ({len(rows):,}, extrapolated)",
        per_projection * count,
        count,
        "projections",
    )
    ratio = per_projection * count / batched
    print(f"  batched / loop: {ratio:,.0f}x")
    return ratio


def bench_plans(fund_size: int, loop_count: int) -> tuple[float, float]:
    params = builtin_profile("v2.0")
    columns = synthetic_columns(fund_size, params, seed=7)
    today = score_batch(columns, params).org_air
    targets = np.minimum(today + np.random.default_rng(8).uniform(5, 25, fund_size), 100.0)
    sample = np.linspace(0, fund_size - 1, min(loop_count, fund_size)).astype(int)
    companies = [columns.inputs_at(int(row)) for row in sample]

    plans = improvement_plans(columns, targets, params)
    for row, company in zip(sample[:50], companies[:50], strict=False):
        assert plans.plan(int(row)) == improvement_plan(company, float(targets[row]), params)

    batched = median_seconds(lambda: improvement_plans(columns, targets, params))
    batched_cpu = median_cpu_seconds(lambda: improvement_plans(columns, targets, params))
    looped = seconds(
        lambda: [
            improvement_plan(company, float(targets[row]), params)
            for row, company in zip(sample, companies, strict=True)
        ]
    )
    per_plan = looped / len(companies)
    print(f"Improvement plans (a fund of {fund_size:,}; {plans.reachable.mean():.1%} reachable)")
    line("improvement_plans (columns)", batched, fund_size, "plans")
    line(
        f"loop of improvement_plan ({len(companies):,}, extrapolated)",
        per_plan * fund_size,
        fund_size,
        "plans",
    )
    ratio = per_plan * fund_size / batched
    print(f"  batched / loop: {ratio:,.0f}x")
    print(
        f"  fund of {fund_size:,} planned in {batched:.3f} s wall, {batched_cpu:.3f} s CPU "
        f"({'meets' if batched < FUND_TARGET_SECONDS else 'misses'} "
        f"the < {FUND_TARGET_SECONDS:g} s target); "
        f"mean plan {plans.investment_usd.mean():,.0f} USD"
    )
    return ratio, batched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projections", type=int, default=1_000_000)
    parser.add_argument("--loop-projections", type=int, default=100_000)
    parser.add_argument("--fund", type=int, default=10_000)
    parser.add_argument("--loop-plans", type=int, default=300)
    args = parser.parse_args()
    bench_projections(args.projections, args.loop_projections)
    bench_plans(args.fund, args.loop_plans)


if __name__ == "__main__":
    main()
