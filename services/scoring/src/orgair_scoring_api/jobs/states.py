"""The life cycle of a scoring job.

    queued ──▶ running ──▶ succeeded
      │           ├──────▶ failed      (infrastructure gave up after bounded retries)
      └───────────┴──────▶ cancelled   (DELETE /jobs/{id})

A company with bad data does not fail the job: it is recorded as a failure of that
company and the job still succeeds, listing it.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = frozenset({JobState.QUEUED.value, JobState.RUNNING.value})
TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED.value, JobState.FAILED.value, JobState.CANCELLED.value}
)
