from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.states import JobState
from orgair_domain.parameters.schemas import ProfileName


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileName | None = Field(
        default=None, description="Parameter profile name; default PARAM_VERSION"
    )


class JobFailureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    company_id: uuid.UUID
    assessment_id: uuid.UUID | None
    code: str = Field(
        description="no_scorable_assessment | incomplete_assessment | invalid_inputs | "
        "company_deleted"
    )
    reason: str


class ReportKeys(BaseModel):
    json_key: str
    csv_key: str


class JobLinks(BaseModel):
    self: str
    events: str
    report: str | None = Field(description="The report of a fund scoring job")
    result: str | None = Field(
        description="What the job produces: an assessment's justifications, or the memo "
        "(once written)"
    )


class JobSummaryOut(BaseModel):
    id: uuid.UUID
    kind: JobKind = Field(description="fund_scoring | justifications | ic_memo")
    fund_id: uuid.UUID | None = Field(description="The fund a fund scoring job scores")
    assessment_id: uuid.UUID | None = Field(
        description="The assessment a justification job justifies"
    )
    company_id: uuid.UUID | None = Field(description="The company of a memo or justification job")
    state: JobState
    profile: str | None = Field(
        description="Name of the parameter profile a fund scoring job scores with"
    )
    parameters_hash: str | None
    total: int = Field(
        description="Items of work: companies in the fund when the job was created; the "
        "dimensions to justify; 1 for a memo"
    )
    done: int = Field(description="scored + failed")
    scored: int = Field(description="Items done: companies scored, dimensions justified, memo")
    failed: int
    error: str | None = Field(description="Why the job failed (state failed only)")
    report: ReportKeys | None = Field(description="S3 keys of the report, once succeeded")
    idempotency_key: str | None
    created_by: str
    cancelled_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: JobLinks


class JobOut(JobSummaryOut):
    errors: list[JobFailureOut] = Field(
        description="Companies a fund scoring job could not score, and why (a justification "
        "job reports each dimension's outcome with its justifications)"
    )


class ReportLinkOut(BaseModel):
    format: Literal["json", "csv"]
    key: str
    url: str = Field(description="Presigned GET URL")
    expires_in: int = Field(description="Seconds the URL stays valid")
