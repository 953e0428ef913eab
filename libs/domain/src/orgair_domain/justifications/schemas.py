"""Justifications as the API shows them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from orgair_domain.justifications.models import JustificationStatus
from orgair_scoring import Dimension


class CitationOut(BaseModel):
    label: str = Field(description="How the justification cites it inline, e.g. [E1]")
    evidence_id: uuid.UUID
    chunk: int = Field(description="Index of the cited chunk of the evidence's text")
    title: str
    source: str | None
    url: str | None
    evidence_date: date
    excerpt: str = Field(description="The cited text as it was when cited")
    evidence: str | None = Field(description="The evidence item, while it exists")


class JustificationOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    assessment_id: uuid.UUID
    company_id: uuid.UUID
    dimension: Dimension
    score: float = Field(description="The dimension score when it was justified")
    status: JustificationStatus
    failure_code: str | None = Field(
        description="Why there is no justification: no_evidence, citation_invalid, "
        "invalid_output, budget_exhausted, budget_unavailable, llm_unavailable, "
        "llm_rejected, llm_not_configured"
    )
    reason: str | None
    text: str | None
    citations: list[CitationOut]
    evidence_considered: int = Field(description="Excerpts the model was given")
    provider: str | None
    model: str | None
    llm_call_id: uuid.UUID | None = Field(
        description="The LLM call (`call_id` of its rows in the call ledger)"
    )
    cost_usd: float
    created_by: str
    created_at: datetime


class JustificationList(BaseModel):
    assessment_id: uuid.UUID
    job_id: uuid.UUID | None = Field(description="Only this job's, when asked for")
    items: list[JustificationOut] = Field(
        description="The latest justification of each dimension (or every one of the job)"
    )
