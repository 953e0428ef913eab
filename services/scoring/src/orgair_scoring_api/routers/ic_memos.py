"""`/api/v2` investment-committee memos: drafted in the worker (a job), stored in S3."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from orgair_auth import Role
from orgair_domain.ic_memos import service
from orgair_domain.ic_memos.schemas import IcMemoList, IcMemoOut
from orgair_domain.jobs.schemas import JobOut
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import ResourcesDep, SessionDep, SettingsDep

router = APIRouter(tags=["ic memos"])


@router.post(
    "/companies/{company_id}/ic-memo",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_role(Role.ANALYST))],
    responses={
        **problem_responses(404, 409),
        503: {
            "description": "`llm-not-configured` (naming the missing setting), "
            "`budget-exhausted` (with Retry-After), `budget-unavailable`, or the job "
            "queue is down"
        },
    },
)
def start_memo(
    company_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    identity: IdentityDep,
) -> JobOut:
    """Draft the company's IC memo: scores, trend, intervals and justifications as
    Markdown, with a model's summary, strengths, risks and recommendation.

    Answers 202 with the job; once it succeeded, `links.result` names the memo.
    """
    job = service.start_memo(
        session,
        resources.settings,
        resources.job_queue,
        resources.llm,
        company_id,
        actor=identity.key_id,
        correlation_id=getattr(request.state, "correlation_id", None),
    )
    response.headers["Location"] = job.links.self
    return job


@router.get(
    "/companies/{company_id}/ic-memos", response_model=IcMemoList, responses=problem_responses(404)
)
def list_memos(company_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> IcMemoList:
    """The company's memos, newest first."""
    return service.list_memos(session, settings, company_id)


@router.get("/ic-memos/{memo_id}", response_model=IcMemoOut, responses=problem_responses(404))
def get_memo(memo_id: uuid.UUID, session: SessionDep, resources: ResourcesDep) -> IcMemoOut:
    """The memo's Markdown, a presigned URL of it in S3, and its LLM call's ledger rows."""
    return service.get_memo(session, resources.settings, resources.objects, memo_id)
