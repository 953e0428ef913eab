"""The life cycle of a scoring job.

    queued ──▶ running ──▶ succeeded
      │           ├──────▶ failed      (infrastructure gave up after bounded retries)
      └───────────┴──────▶ cancelled   (DELETE /jobs/{id})

A company with bad data does not fail the job: it is recorded as a failure of that
company and the job still succeeds, listing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


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

# The states a job must be in to move to each state (the diagram above): one
# conditional UPDATE per transition (`jobs.repository.transition`). `running` may
# follow `running`: a redelivered start claims its own job again.
_ACTIVE = frozenset({JobState.QUEUED.value, JobState.RUNNING.value})
MOVES_FROM: Mapping[JobState, frozenset[str]] = MappingProxyType(
    {
        JobState.RUNNING: _ACTIVE,
        JobState.SUCCEEDED: frozenset({JobState.RUNNING.value}),
        JobState.FAILED: _ACTIVE,
        JobState.CANCELLED: _ACTIVE,
    }
)
