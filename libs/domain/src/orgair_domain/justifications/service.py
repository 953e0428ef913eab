"""Justification use cases: start a job for an assessment, read what it wrote, and the
steps the worker runs for each dimension.

Starting refuses at once what could only fail later (no LLM provider, no budget
left today, no dimension scores: 503/422), records the job and publishes its first
task after the commit. An assessment has at most one queued or running justification
job (409); one whose first task could not be published is published again by the
next request instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.assessments.models import Assessment
from orgair_domain.assessments.service import require_assessment
from orgair_domain.companies import repository as companies
from orgair_domain.dimension_scores import repository as dimension_scores
from orgair_domain.errors import NotFound, Unprocessable
from orgair_domain.evidence import repository as evidence
from orgair_domain.evidence.excerpts import Excerpt, top_excerpts
from orgair_domain.evidence.service import evidence_path
from orgair_domain.jobs import repository as jobs
from orgair_domain.jobs.kinds import JobKind
from orgair_domain.jobs.models import ScoringJob
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.jobs.schemas import JobOut
from orgair_domain.jobs.service import job_out, publish_first_task, resume_or_refuse
from orgair_domain.jobs.states import JobState
from orgair_domain.justifications import repository
from orgair_domain.justifications.drafting import Draft, Subject
from orgair_domain.justifications.models import (
    Justification,
    JustificationCitation,
    JustificationStatus,
)
from orgair_domain.justifications.schemas import CitationOut, JustificationList, JustificationOut
from orgair_domain.llm_refusals import ensure_llm_available
from orgair_llm import LLMClient
from orgair_llm.costs import micros_to_usd
from orgair_observability import get_logger
from orgair_scoring import DIMENSIONS, Dimension

log = get_logger(__name__)


def _require_active_company(session: Session, assessment: Assessment) -> None:
    if companies.get_active(session, assessment.company_id) is None:
        raise NotFound("assessment", assessment.id)


def start_justifications(
    session: Session,
    settings: Settings,
    queue: JobQueue,
    llm: LLMClient,
    assessment_id: uuid.UUID,
    *,
    actor: str,
    correlation_id: str | None,
) -> JobOut:
    """A job that justifies each scored dimension of the assessment (202 + the job)."""
    assessment = require_assessment(session, assessment_id)
    _require_active_company(session, assessment)
    ensure_llm_available(llm)
    scored = dimension_scores.list_for_assessment(session, assessment_id)
    if not scored:
        raise Unprocessable(
            "Nothing to justify",
            "the assessment has no dimension scores yet",
            code="no-dimension-scores",
        )
    active = jobs.active_of_kind(session, JobKind.JUSTIFICATIONS, assessment_id=assessment_id)
    if active is not None:
        return resume_or_refuse(
            session, settings, queue, active, correlation_id, retry_hint=_RETRY,
            conflict=f"the assessment already has a {active.state} justification job",
        )  # fmt: skip
    now = utcnow()
    job = ScoringJob(
        id=uuid.uuid4(),
        kind=JobKind.JUSTIFICATIONS.value,
        assessment_id=assessment.id,
        company_id=assessment.company_id,
        state=JobState.QUEUED.value,
        total=len(scored),
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
    log.info("justification_job_created", job_id=str(job.id), assessment_id=str(assessment_id),
             dimensions=len(scored))  # fmt: skip
    return job_out(session, settings, job)


_RETRY = "send the request again to publish it"


def _citation_out(
    settings: Settings, row: JustificationCitation, existing: set[uuid.UUID]
) -> CitationOut:
    return CitationOut(
        label=row.label,
        evidence_id=row.evidence_id,
        chunk=row.chunk,
        title=row.title,
        source=row.source,
        url=row.url,
        evidence_date=row.evidence_date,
        excerpt=row.excerpt,
        evidence=evidence_path(settings, row.evidence_id) if row.evidence_id in existing else None,
    )


def justifications_out(
    session: Session, settings: Settings, rows: Sequence[Justification]
) -> list[JustificationOut]:
    """The rows with their citations, in the canonical order of the dimensions."""
    citations = repository.citations_of(session, [row.id for row in rows])
    cited = {c.evidence_id for found in citations.values() for c in found}
    existing = set(evidence.by_ids(session, list(cited)))
    order = {name: index for index, name in enumerate(DIMENSIONS)}
    return [
        JustificationOut(
            id=row.id,
            job_id=row.job_id,
            assessment_id=row.assessment_id,
            company_id=row.company_id,
            dimension=Dimension(row.dimension),
            score=row.score,
            status=JustificationStatus(row.status),
            failure_code=row.failure_code,
            reason=row.reason,
            text=row.text,
            citations=[
                _citation_out(settings, c, existing)
                for c in sorted(citations[row.id], key=lambda c: int(c.label[1:]))
            ],
            evidence_considered=row.evidence_considered,
            provider=row.provider,
            model=row.model,
            llm_call_id=row.llm_call_id,
            cost_usd=micros_to_usd(row.cost_micros),
            created_by=row.created_by,
            created_at=row.created_at,
        )
        for row in sorted(rows, key=lambda row: order[row.dimension])
    ]


def list_justifications(
    session: Session, settings: Settings, assessment_id: uuid.UUID, job_id: uuid.UUID | None
) -> JustificationList:
    """The newest justification of each dimension, or every one a given job wrote."""
    assessment = require_assessment(session, assessment_id)
    _require_active_company(session, assessment)
    if job_id is None:
        rows = repository.latest_per_dimension(session, assessment_id)
    else:
        job = jobs.get(session, job_id)
        if job is None or job.assessment_id != assessment_id:
            raise NotFound("justification job of this assessment", job_id)
        rows = repository.of_job(session, job_id)
    return JustificationList(
        assessment_id=assessment_id,
        job_id=job_id,
        items=justifications_out(session, settings, rows),
    )


# ----------------------------------------------------------------- worker steps


def dimensions_to_justify(session: Session, job: ScoringJob) -> list[str]:
    """The assessment's scored dimensions, in canonical order."""
    assert job.assessment_id is not None  # a justification job has its assessment
    scored = {
        row.dimension for row in dimension_scores.list_for_assessment(session, job.assessment_id)
    }
    return [name for name in DIMENSIONS if name in scored]


@dataclass(frozen=True)
class Prepared:
    subject: Subject
    excerpts: list[Excerpt]


def prepare(
    session: Session, settings: Settings, job: ScoringJob, dimension: str
) -> Prepared | None:
    """What the model needs for one dimension; None when the score or company is gone."""
    assert job.assessment_id is not None
    assessment = session.get(Assessment, job.assessment_id)
    company = companies.get_active(session, job.company_id) if job.company_id else None
    if assessment is None or company is None:
        return None
    score = next(
        (row for row in dimension_scores.list_for_assessment(session, assessment.id)
         if row.dimension == dimension),
        None,
    )  # fmt: skip
    if score is None:
        return None
    excerpts = top_excerpts(
        session, company.id, dimension, limit=settings.JUSTIFICATION_EVIDENCE_LIMIT
    )
    subject = Subject(
        company_name=company.name,
        dimension=dimension,
        score=score.score,
        assessment_type=assessment.assessment_type,
        assessment_date=assessment.assessment_date,
    )
    return Prepared(subject, excerpts)


def record_draft(session: Session, job: ScoringJob, draft: Draft) -> bool:
    """Write the dimension's outcome and count it, under the job row's lock; False (and
    nothing written) when the job no longer runs or the dimension was written already.
    Commits."""
    now = utcnow()
    if not jobs.lock_running(session, job.id, now):
        session.rollback()
        return False
    if repository.exists_for(session, job.id, draft.dimension):
        session.rollback()
        return False
    assert job.assessment_id is not None and job.company_id is not None
    repository.add(
        session, draft, job_id=job.id, assessment_id=job.assessment_id,
        company_id=job.company_id, actor=job.created_by, now=now,
    )  # fmt: skip
    justified = draft.status == JustificationStatus.JUSTIFIED
    jobs.add_progress(session, job.id, scored=int(justified), failed=int(not justified))
    session.commit()
    return True
