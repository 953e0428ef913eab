"""Drafting one dimension's justification: its excerpts, the model's answer, the outcome.

Runs outside any database transaction (a model may take seconds to answer); what it
returns is written afterwards under the job's lock (`service.record_draft`). Every
outcome is a draft: justified, no evidence (no model is asked), an invalid citation
after the one corrected retry, or a failure with the LLM layer's reason (budget
spent, providers down, an answer of the wrong shape). The reason names models,
amounts and settings, never the prompt, the evidence or the answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from orgair_domain.evidence.excerpts import Excerpt
from orgair_domain.justifications.answer import LABELS_CONTEXT, DimensionJustification
from orgair_domain.justifications.models import JustificationStatus
from orgair_domain.justifications.prompts import label, new_boundary, system_prompt, user_message
from orgair_domain.llm_refusals import failure_code
from orgair_llm import LLMClient, LLMError, Message
from orgair_observability import get_logger

log = get_logger(__name__)

PURPOSE = "justification"


@dataclass(frozen=True)
class CitedExcerpt:
    label: str
    excerpt: Excerpt


@dataclass(frozen=True)
class Draft:
    dimension: str
    score: float
    status: JustificationStatus
    evidence_considered: int
    text: str | None = None
    citations: tuple[CitedExcerpt, ...] = ()
    failure_code: str | None = None
    reason: str | None = None
    provider: str | None = None
    model: str | None = None
    llm_call_id: uuid.UUID | None = None
    cost_micros: int = 0
    attempts: int = field(default=0)


@dataclass(frozen=True)
class Subject:
    """What is being justified."""

    company_name: str
    dimension: str
    score: float
    assessment_type: str
    assessment_date: date


def draft_justification(
    llm: LLMClient,
    subject: Subject,
    excerpts: list[Excerpt],
    *,
    correlation_id: str | None,
) -> Draft:
    def outcome(status: JustificationStatus, **fields: Any) -> Draft:
        return Draft(subject.dimension, subject.score, status, len(excerpts), **fields)

    if not excerpts:
        return outcome(
            JustificationStatus.NO_EVIDENCE,
            failure_code="no_evidence",
            reason="no evidence supports this dimension; attach some and justify again",
        )
    labelled = {label(index): excerpt for index, excerpt in enumerate(excerpts)}
    boundary = new_boundary(excerpts)
    message = user_message(
        company_name=subject.company_name,
        dimension=subject.dimension,
        score=subject.score,
        assessment_type=subject.assessment_type,
        assessment_date=subject.assessment_date,
        excerpts=excerpts,
        boundary=boundary,
    )
    try:
        answer = llm.structured(
            DimensionJustification,
            purpose=PURPOSE,
            system=system_prompt(boundary),
            messages=[Message("user", message)],
            correlation_id=correlation_id,
            validation_context={LABELS_CONTEXT: list(labelled)},
        )
    except LLMError as exc:
        code = failure_code(exc)
        status = (
            JustificationStatus.CITATION_INVALID
            if code == "citation_invalid"
            else JustificationStatus.FAILED
        )
        log.warning("justification_not_written", dimension=subject.dimension, code=code)
        return outcome(status, failure_code=code, reason=str(exc))
    completion = answer.completion
    return outcome(
        JustificationStatus.JUSTIFIED,
        text=answer.value.justification,
        citations=tuple(CitedExcerpt(cited, labelled[cited]) for cited in answer.value.citations),
        provider=completion.provider,
        model=completion.model,
        llm_call_id=completion.call_id,
        cost_micros=sum(attempt.cost_micros for attempt in answer.attempts),
        attempts=len(answer.attempts),
    )
