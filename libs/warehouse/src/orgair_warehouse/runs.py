"""One export run as the worker and `orgair export snowflake` start it: under the export
lock, optionally within a time budget, its outcome counted and described in one line.

Outcomes: `complete` (every table caught up), `partial` (the budget ran out first: the
next run continues), `failed` (a batch failed after every retry; committed batches stay),
`skipped` (another export holds the lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import redis

from orgair_observability.metrics import WAREHOUSE_EXPORTS
from orgair_warehouse.export import Exporter, ExportFailed, ExportReport, describe_error
from orgair_warehouse.lock import ExportLock

HELD_ELSEWHERE = "another export is running (it holds the export lock)"
Outcome = Literal["complete", "partial", "failed", "skipped"]


@dataclass(frozen=True)
class ExportRun:
    outcome: Outcome
    report: ExportReport | None = None
    error: str | None = None

    @property
    def line(self) -> str:
        """The run in one line (the CLI prints it; the worker logs it)."""
        if self.outcome == "skipped":
            return (
                f"skipped: {self.error or 'another export is running (it holds the export lock)'}"
            )
        if self.outcome == "failed":
            return f"failed: {self.error}"
        assert self.report is not None
        return self.report.summary()


def run_export(
    exporter: Exporter,
    lock: ExportLock,
    *,
    time_budget_seconds: float | None = None,
    without_redis: Callable[[str], None] | None = None,
) -> ExportRun:
    """Run `exporter` while holding `lock`.

    When Redis cannot be reached, `without_redis` decides: absent (the worker), the run
    is skipped; given (the CLI), it is told why and the export runs unlocked, which is
    safe (each batch checks the high-water mark's version) and only risks duplicate work.
    """
    locked = True
    try:
        if not lock.acquire():
            return _counted(ExportRun("skipped"))
    except redis.RedisError as exc:
        reason = f"export lock unavailable ({type(exc).__name__})"
        if without_redis is None:
            return _counted(ExportRun("skipped", error=reason))
        without_redis(reason)
        locked = False
    try:
        if locked:
            exporter.keep_alive = lock.extend
        report = exporter.run(time_budget_seconds=time_budget_seconds)
    except ExportFailed as exc:
        return _counted(ExportRun("failed", error=str(exc)))
    except Exception as exc:  # the lock, an unexpected driver error: still one line
        return _counted(ExportRun("failed", error=describe_error(exc)))
    finally:
        if locked:
            lock.release()
    return _counted(ExportRun("complete" if report.complete else "partial", report=report))


def _counted(run: ExportRun) -> ExportRun:
    """Counted here; reported by the caller (a log line in the worker, a line on the CLI)."""
    WAREHOUSE_EXPORTS.labels(run.outcome).inc()
    return run
