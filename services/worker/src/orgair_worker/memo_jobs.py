"""IC memo jobs: one step that drafts, stores and completes the memo.

The model's narrative is asked for outside any transaction; the Markdown goes to S3
and the memo row is written under the job's lock (`ic_memos.service.store_memo`).
When the model gives no answer (budget spent, providers down, an answer of the wrong
shape) the job fails with that reason: a memo without its narrative is not drafted.
A redelivered step finds the job ended, or the memo claimed by the delivery drafting
it (`claims`), and does nothing.
"""

from __future__ import annotations

import uuid

from orgair_database import utcnow
from orgair_domain.errors import DomainError
from orgair_domain.ic_memos import service as memos
from orgair_domain.ic_memos.facts import gather_facts
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.states import ACTIVE_STATES, JobState
from orgair_domain.llm_refusals import failure_code
from orgair_llm import LLMError
from orgair_observability import get_logger
from orgair_worker import claims
from orgair_worker.job_endings import fail_job
from orgair_worker.job_events import publish
from orgair_worker.runtime import WorkerResources

log = get_logger(__name__)

MEMO = "memo"


def draft(res: WorkerResources, job_id: uuid.UUID) -> uuid.UUID | None:
    """The memo's id once drafted and stored; None when there was nothing to do or the
    job failed (its reason recorded)."""
    with res.database.session() as session:
        job = jobs.get(session, job_id)
        if job is None or job.kind != JobKind.IC_MEMO or job.state not in ACTIVE_STATES:
            log.info("memo_job_skipped", job_id=str(job_id))
            return None
        assert job.company_id is not None  # a memo job has its company
        now = utcnow()
        if not jobs.transition(
            session, job_id, JobState.RUNNING, now=now, started_at=job.started_at or now
        ):
            return None
        refusal: str | None = None
        try:
            facts = gather_facts(session, res.settings, job.company_id)
        except DomainError as exc:  # deleted or unscored since the job was created
            facts, refusal = None, exc.detail
        correlation_id = job.correlation_id
    publish(res, job_id, lambda current: res.events.progress(current))
    if facts is None:
        fail_job(res, job_id, f"no memo: {refusal}")
        return None
    if not claims.claim(res, job_id, MEMO):
        log.info("memo_drafted_elsewhere", job_id=str(job_id))
        return None
    try:
        drafted = memos.draft_memo(res.llm, facts, correlation_id=correlation_id)
    except LLMError as exc:
        fail_job(res, job_id, f"{failure_code(exc)}: {exc}")
        claims.release(res, job_id, MEMO)
        return None
    try:
        with res.database.sessions() as session:
            job = jobs.get(session, job_id)
            assert job is not None
            memo_id = memos.store_memo(session, res.objects, job, drafted)
    finally:
        claims.release(res, job_id, MEMO)
    if memo_id is not None:
        log.info("memo_drafted", job_id=str(job_id), memo_id=str(memo_id),
                 chars=len(drafted.markdown))  # fmt: skip
        publish(res, job_id, res.events.completed)
    return memo_id
