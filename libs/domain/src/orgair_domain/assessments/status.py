"""The assessment life cycle (CS1): which status may follow which."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class AssessmentType(StrEnum):
    SCREENING = "screening"
    DUE_DILIGENCE = "due_diligence"
    QUARTERLY = "quarterly"
    EXIT_PREP = "exit_prep"


S = AssessmentStatus
TRANSITIONS = MappingProxyType(
    {
        S.DRAFT: (S.IN_PROGRESS,),
        S.IN_PROGRESS: (S.SUBMITTED, S.DRAFT),
        S.SUBMITTED: (S.APPROVED, S.IN_PROGRESS),
        S.APPROVED: (S.SUPERSEDED,),
        S.SUPERSEDED: (),
    }
)

# Once submitted, an assessment's evidence is what reviewers see: it no longer changes.
LOCKED_STATUSES = frozenset({S.SUBMITTED, S.APPROVED, S.SUPERSEDED})


def allowed_next(current: AssessmentStatus) -> tuple[AssessmentStatus, ...]:
    return TRANSITIONS[current]
