"""Why a company could not be scored: the codes a fund job records per company.

A company with bad data does not fail its job: the job records the company with one
of these codes (`scoring_job_failures.code`) and a reason, and scores the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FailureCode(StrEnum):
    COMPANY_DELETED = "company_deleted"
    NO_SCORABLE_ASSESSMENT = "no_scorable_assessment"
    INCOMPLETE_ASSESSMENT = "incomplete_assessment"
    INVALID_INPUTS = "invalid_inputs"


@dataclass(frozen=True)
class CompanyFailure:
    company_id: uuid.UUID
    assessment_id: uuid.UUID | None
    code: FailureCode
    reason: str

    def as_event(self) -> dict[str, Any]:
        """The JSON payload of the job's `company_failed` event."""
        return {
            "company_id": str(self.company_id),
            "assessment_id": str(self.assessment_id) if self.assessment_id else None,
            "code": self.code,
            "reason": self.reason,
        }
