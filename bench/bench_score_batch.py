"""Benchmark: `score_batch` on columns vs a plain Python loop of `score_company`.

    uv run python bench/bench_score_batch.py [--sizes 100000 1000000] [--loop-sample 20000]

Both are measured in the same run. `score_batch` runs on one core: it uses only
element-wise NumPy ufuncs (single-threaded; no BLAS), and the benchmark prints its
CPU-time / wall-time ratio to show it. Pass --pin to also pin the process to one CPU
(only useful on an idle machine: a pinned process cannot dodge a busy core).
The loop scores a sample of companies and is extrapolated to the full size: it costs
the same per company at any size, and 10^6 iterations would take most of a minute.
The batch figure is the median of several runs after one cold run (whose time, paying
the first page faults of its output arrays, is printed too). Peak memory is what
`tracemalloc` sees allocated during one `score_batch` call (outputs + temporaries),
plus the process's peak RSS with its inputs.

Targets (issue 4): >= 1,000,000 companies/s batched, >= 20x the loop.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from orgair_scoring import (
    DIMENSIONS,
    BatchResult,
    CompanyColumns,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    score_batch,
    score_company,
)
from orgair_scoring.batch import INTERVAL_FIELDS, SCORE_FIELDS

BATCH_TARGET_PER_SECOND = 1_000_000
RATIO_TARGET = 20
BATCH_REPEATS = 5


def pin_to_one_core() -> int | None:
    """Run on a single CPU so the figures are per core (Linux only)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def synthetic_columns(count: int, params: ScoringParameters, seed: int = 2026) -> CompanyColumns:
    """Realistic spread: every seed sector plus an unknown one; optional inputs given for
    about half the companies (NaN elsewhere), timing sometimes outside its bounds."""
    rng = np.random.default_rng(seed)

    def half_missing(values: np.ndarray) -> np.ndarray:
        return np.where(rng.uniform(size=count) < 0.5, np.nan, values)

    sector_names = (*params.sectors, "unlisted_sector")
    return CompanyColumns(
        ids=np.char.add("company-", np.arange(count).astype(str)),
        sector_names=sector_names,
        sector_codes=rng.integers(0, len(sector_names), count),
        dimensions={name: rng.uniform(0, 100, count) for name in DIMENSIONS},
        talent_concentration=rng.uniform(0, 1, count),
        market_cap_percentile=rng.uniform(0, 1, count),
        evidence_count=rng.integers(0, 40, count).astype(np.float64),
        h_r_base=half_missing(rng.uniform(40, 95, count)),
        alignment=half_missing(rng.uniform(0, 1, count)),
        timing_factor=half_missing(rng.uniform(0.6, 1.4, count)),
    )


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def wall_and_cpu_seconds(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def largest_difference(
    batch: BatchResult, rows: list[int], companies: list[CompanyInputs], params: ScoringParameters
) -> float:
    worst = 0.0
    for row, company in zip(rows, companies, strict=True):
        scalar = score_company(company, params).to_json_dict()
        batched = batch.result(row).to_json_dict()
        for key, value in scalar.items():
            if key == "ci":
                for name, bounds in value.items():
                    for scalar_bound, batched_bound in zip(
                        bounds, batched["ci"][name], strict=True
                    ):
                        worst = max(worst, abs(scalar_bound - batched_bound))
            elif isinstance(value, float):
                worst = max(worst, abs(value - batched[key]))
    return worst


def line(label: str, elapsed: float, count: int | None = None) -> None:
    throughput = f"{count / elapsed:>14,.0f} companies/s" if count else ""
    print(f"  {label:<48} {elapsed:>9.4f} s {throughput}")


def run(size: int, loop_sample: int, params: ScoringParameters) -> tuple[float, float]:
    columns = synthetic_columns(size, params)
    sample_rows = np.random.default_rng(1).choice(size, min(loop_sample, size), replace=False)
    rows = sorted(int(row) for row in sample_rows)
    companies = [columns.inputs_at(row) for row in rows]

    cold = seconds(lambda: score_batch(columns, params))
    warm = [
        wall_and_cpu_seconds(lambda: score_batch(columns, params)) for _ in range(BATCH_REPEATS)
    ]
    walls = [wall for wall, _ in warm]
    batch_seconds = statistics.median(walls)
    cpu_share = sum(cpu for _, cpu in warm) / sum(walls)

    loop_sample_seconds = seconds(lambda: [score_company(c, params) for c in companies])
    loop_seconds = loop_sample_seconds / len(companies) * size
    rows_path = seconds(lambda: score_batch(companies, params))

    difference = largest_difference(score_batch(columns, params), rows, companies, params)

    print(f"\n== {size:,} companies (profile {params.version}) ==")
    line(f"score_batch(CompanyColumns), median of {BATCH_REPEATS}", batch_seconds, size)
    line(f"score_batch(CompanyColumns), best of {BATCH_REPEATS}", min(walls), size)
    line("score_batch(CompanyColumns), first (cold) call", cold, size)
    line(
        f"score_company loop over {len(companies):,} (measured)",
        loop_sample_seconds,
        len(companies),
    )
    line(f"score_company loop over {size:,} (extrapolated)", loop_seconds)
    line(f"score_batch(list of {len(companies):,} CompanyInputs)", rows_path, len(companies))
    print(f"  {'ratio loop time / batch time (median)':<48} {loop_seconds / batch_seconds:>9.1f} x")
    print(f"  {'score_batch CPU time / wall time':<48} {cpu_share:>9.2f}   (1.00 = one core)")
    print(f"  {'largest |batch - scalar| over the sample':<48} {difference:>9.3g}")
    return size / batch_seconds, loop_seconds / batch_seconds


def peak_memory(size: int, params: ScoringParameters) -> None:
    columns = synthetic_columns(size, params)
    inputs_bytes = sum(
        array.nbytes
        for array in (
            *columns.dimensions.values(),
            columns.talent_concentration,
            columns.market_cap_percentile,
            columns.evidence_count,
            columns.sector_codes,
            columns.h_r_base,
            columns.alignment,
            columns.timing_factor,
        )
        if array is not None
    )
    tracemalloc.start()
    result = score_batch(columns, params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outputs = sum(getattr(result, name).nbytes for name in SCORE_FIELDS) + sum(
        getattr(result.ci, name).lower.nbytes + getattr(result.ci, name).upper.nbytes
        for name in INTERVAL_FIELDS
    )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    def mib(label: str, amount: float) -> None:
        print(f"  {label:<48} {amount / 2**20:>9.1f} MiB")

    print(f"\n== peak memory, {size:,} companies ==")
    mib("allocated during score_batch (tracemalloc peak)", peak)
    mib("  of which the result arrays", outputs)
    mib("input columns (numeric arrays)", inputs_bytes)
    mib("process peak RSS (whole benchmark)", max_rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument("--profile", default="v2.0", choices=["v1.0", "v2.0"])
    parser.add_argument("--pin", action="store_true", help="pin the process to one CPU")
    arguments = parser.parse_args()

    core = pin_to_one_core() if arguments.pin else None
    params = builtin_profile(arguments.profile)
    pinned = f"pinned to CPU {core}" if core is not None else "not pinned"
    print(f"orgair_scoring benchmark: numpy {np.__version__}, {os.cpu_count()} CPUs, {pinned}")
    print(f"(loop figures are measured on --loop-sample {arguments.loop_sample:,} companies)")
    verdicts = []
    for size in arguments.sizes:
        per_second, ratio = run(size, arguments.loop_sample, params)
        verdicts.append((size, per_second, ratio))
    peak_memory(max(arguments.sizes), params)

    print("\n== against the targets (median batch figures) ==")
    for size, per_second, ratio in verdicts:
        throughput_ok = "meets" if per_second >= BATCH_TARGET_PER_SECOND else "MISSES"
        ratio_ok = "meets" if ratio >= RATIO_TARGET else "MISSES"
        print(
            f"{size:>10,}: {per_second:>13,.0f}/s {throughput_ok} >= 1,000,000/s; "
            f"{ratio:7.1f}x {ratio_ok} >= {RATIO_TARGET}x"
        )


if __name__ == "__main__":
    main()
