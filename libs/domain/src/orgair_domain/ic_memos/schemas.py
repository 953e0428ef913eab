"""IC memos as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class LedgerLineOut(BaseModel):
    """One attempt of the LLM call that drafted the memo (a row of the call ledger)."""

    attempt: int
    provider: str
    model: str
    outcome: str
    fallback_used: bool
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: int
    created_at: datetime


class IcMemoSummaryOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    company_id: uuid.UUID
    score_id: uuid.UUID | None = Field(description="The Org-AI-R score the memo is about")
    object_key: str = Field(description="Where the Markdown is in S3")
    markdown_chars: int
    sha256: str
    provider: str
    model: str
    llm_call_id: uuid.UUID
    cost_usd: float
    created_by: str
    created_at: datetime
    links: dict[str, str]


class IcMemoOut(IcMemoSummaryOut):
    markdown: str
    url: str = Field(description="Presigned GET URL of the Markdown in S3")
    expires_in: int
    llm_calls: list[LedgerLineOut] = Field(description="The ledger rows of its LLM call")


class IcMemoList(BaseModel):
    company_id: uuid.UUID
    items: list[IcMemoSummaryOut] = Field(description="Newest first")
