"""IC memo use cases: start a memo job for a company, read memos, and the worker's step.

Starting refuses at once what could only fail later (no LLM provider, no budget left,
a company never scored: 503/422). The worker's step gathers the facts, asks the
model for the narrative, renders the Markdown, stores it in S3 and then the memo row
(the object is deleted again when the row cannot be written), and completes the job
with the memo as its result.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.companies import repository as companies
from orgair_domain.errors import NotFound
from orgair_domain.ic_memos.facts import MemoFacts, gather_facts
from orgair_domain.ic_memos.models import IcMemo
from orgair_domain.ic_memos.narrative import (
    PURPOSE,
    MemoNarrative,
    facts_message,
    new_boundary,
    system_prompt,
)
from orgair_domain.ic_memos.rendering import render_memo
from orgair_domain.ic_memos.schemas import (
    IcMemoList,
    IcMemoOut,
    IcMemoSummaryOut,
    LedgerLineOut,
)
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.jobs.schemas import JobOut
from orgair_domain.jobs.service import job_out, job_path, publish_first_task, resume_or_refuse
from orgair_domain.jobs.states import JobState
from orgair_domain.llm_refusals import ensure_llm_available
from orgair_llm import LLMClient, Message
from orgair_llm.costs import micros_to_usd
from orgair_llm.ledger_table import LLMCall
from orgair_objectstore import ObjectStore, ObjectStoreError
from orgair_observability import get_logger

log = get_logger(__name__)

_RETRY = "send the request again to publish it"


def memo_path(settings: Settings, memo_id: uuid.UUID) -> str:
    return f"{settings.API_V2_PREFIX}/ic-memos/{memo_id}"


def memo_key(company_id: uuid.UUID, memo_id: uuid.UUID) -> str:
    return f"memos/{company_id}/{memo_id}.md"


def start_memo(
    session: Session,
    settings: Settings,
    queue: JobQueue,
    llm: LLMClient,
    company_id: uuid.UUID,
    *,
    actor: str,
    correlation_id: str | None,
) -> JobOut:
    """A job that drafts the company's memo (202 + the job)."""
    if companies.get_active(session, company_id) is None:
        raise NotFound("company", company_id)
    ensure_llm_available(llm)
    gather_facts(session, settings, company_id)  # never scored: refuse now, not in the job
    active = jobs.active_of_kind(session, JobKind.IC_MEMO, company_id=company_id)
    if active is not None:
        return resume_or_refuse(
            session, settings, queue, active, correlation_id, retry_hint=_RETRY,
            conflict=f"the company already has a {active.state} memo job",
        )  # fmt: skip
    now = utcnow()
    job = ScoringJob(
        id=uuid.uuid4(),
        kind=JobKind.IC_MEMO.value,
        company_id=company_id,
        state=JobState.QUEUED.value,
        total=1,
        scored=0,
        failed=0,
        correlation_id=correlation_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.commit()
    publish_first_task(session, queue, job, correlation_id, retry_hint=_RETRY)
    log.info("memo_job_created", job_id=str(job.id), company_id=str(company_id))
    return job_out(session, settings, job)


def _summary(settings: Settings, memo: IcMemo) -> IcMemoSummaryOut:
    return IcMemoSummaryOut(
        id=memo.id,
        job_id=memo.job_id,
        company_id=memo.company_id,
        score_id=memo.score_id,
        object_key=memo.object_key,
        markdown_chars=memo.markdown_chars,
        sha256=memo.sha256,
        provider=memo.provider,
        model=memo.model,
        llm_call_id=memo.llm_call_id,
        cost_usd=micros_to_usd(memo.cost_micros),
        created_by=memo.created_by,
        created_at=memo.created_at,
        links={"self": memo_path(settings, memo.id), "job": job_path(settings, memo.job_id)},
    )


def _require_memo(session: Session, memo_id: uuid.UUID) -> IcMemo:
    memo = session.get(IcMemo, memo_id)
    if memo is None or companies.get_active(session, memo.company_id) is None:
        raise NotFound("IC memo", memo_id)
    return memo


def get_memo(
    session: Session, settings: Settings, objects: ObjectStore, memo_id: uuid.UUID
) -> IcMemoOut:
    """The memo with its Markdown (from S3) and the ledger rows of its LLM call."""
    memo = _require_memo(session, memo_id)
    calls = session.scalars(
        select(LLMCall).where(LLMCall.call_id == memo.llm_call_id).order_by(LLMCall.attempt)
    )
    expires = settings.EVIDENCE_URL_EXPIRES_SECONDS
    return IcMemoOut(
        **_summary(settings, memo).model_dump(),
        markdown=objects.get_bytes(memo.object_key).decode(),
        url=objects.presigned_get_url(memo.object_key, expires_seconds=expires),
        expires_in=expires,
        llm_calls=[
            LedgerLineOut(
                attempt=call.attempt,
                provider=call.provider,
                model=call.model,
                outcome=call.outcome,
                fallback_used=call.fallback_used,
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=micros_to_usd(call.cost_micros),
                latency_ms=call.latency_ms,
                created_at=call.created_at,
            )
            for call in calls
        ],
    )


def list_memos(session: Session, settings: Settings, company_id: uuid.UUID) -> IcMemoList:
    if companies.get_active(session, company_id) is None:
        raise NotFound("company", company_id)
    memos = session.scalars(
        select(IcMemo)
        .where(IcMemo.company_id == company_id)
        .order_by(IcMemo.created_at.desc(), IcMemo.id)
    )
    return IcMemoList(company_id=company_id, items=[_summary(settings, m) for m in memos])


# ----------------------------------------------------------------- worker step


@dataclass(frozen=True)
class DraftedMemo:
    facts: MemoFacts
    markdown: str
    provider: str
    model: str
    llm_call_id: uuid.UUID
    cost_micros: int


def draft_memo(llm: LLMClient, facts: MemoFacts, *, correlation_id: str | None) -> DraftedMemo:
    """The model's narrative around the facts, rendered; raises the LLM layer's errors."""
    boundary = new_boundary()
    answer = llm.structured(
        MemoNarrative,
        purpose=PURPOSE,
        system=system_prompt(boundary),
        messages=[Message("user", facts_message(facts, boundary))],
        correlation_id=correlation_id,
    )
    completion = answer.completion
    markdown = render_memo(facts, answer.value, drafted_at=utcnow(), model=completion.model)
    return DraftedMemo(
        facts=facts,
        markdown=markdown,
        provider=completion.provider,
        model=completion.model,
        llm_call_id=completion.call_id,
        cost_micros=sum(attempt.cost_micros for attempt in answer.attempts),
    )


def store_memo(
    session: Session, objects: ObjectStore, job: ScoringJob, drafted: DraftedMemo
) -> uuid.UUID | None:
    """The Markdown to S3, then the memo row and the job's success, under the job's lock.

    Returns the memo id, or None when the job no longer runs (nothing is kept then).
    """
    memo_id = uuid.uuid4()
    key = memo_key(drafted.facts.company_id, memo_id)
    data = drafted.markdown.encode()
    objects.put_bytes(key, data, content_type="text/markdown; charset=utf-8")
    now = utcnow()
    try:
        if not jobs.lock_running(session, job.id, now):
            session.rollback()
            _delete(objects, key)
            return None
        session.add(
            IcMemo(
                id=memo_id,
                job_id=job.id,
                company_id=drafted.facts.company_id,
                score_id=drafted.facts.score.id,
                object_key=key,
                markdown_chars=len(drafted.markdown),
                sha256=hashlib.sha256(data).hexdigest(),
                provider=drafted.provider,
                model=drafted.model,
                llm_call_id=drafted.llm_call_id,
                cost_micros=drafted.cost_micros,
                created_by=job.created_by,
                created_at=now,
            )
        )
        session.flush()
        jobs.add_progress(session, job.id, scored=1, failed=0)
        jobs.transition(
            session, job.id, JobState.SUCCEEDED, now=now, result_id=memo_id, finished_at=now
        )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        _delete(objects, key)
        raise
    return memo_id


def _delete(objects: ObjectStore, key: str) -> None:
    try:
        objects.delete(key)
    except ObjectStoreError as exc:
        log.warning("memo_object_not_deleted", key=key, error=str(exc))
