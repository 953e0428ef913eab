"""`/api/v2` justifications: per dimension, why an assessment's score is what it is,
written by a model from the company's evidence (in the worker, followed as a job)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from orgair_auth import Role
from orgair_domain.jobs.schemas import JobOut
from orgair_domain.justifications import service
from orgair_domain.justifications.schemas import JustificationList
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import ResourcesDep, SessionDep, SettingsDep

router = APIRouter(tags=["justifications"])


@router.post(
    "/assessments/{assessment_id}/justifications",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_role(Role.ANALYST))],
    responses={
        **problem_responses(404, 409, 422),
        503: {
            "description": "`llm-not-configured` (naming the missing setting), "
            "`budget-exhausted` (with Retry-After), `budget-unavailable`, or the job "
            "queue is down"
        },
    },
)
def start_justifications(
    assessment_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    identity: IdentityDep,
) -> JobOut:
    """Justify each scored dimension from the company's best evidence for it.

    Answers 202 with the job (`Location` names it; follow `/jobs/{id}/events`); the
    justifications appear under `GET /assessments/{id}/justifications` as each is written.
    """
    job = service.start_justifications(
        session,
        resources.settings,
        resources.job_queue,
        resources.llm,
        assessment_id,
        actor=identity.key_id,
        correlation_id=getattr(request.state, "correlation_id", None),
    )
    response.headers["Location"] = job.links.self
    return job


@router.get(
    "/assessments/{assessment_id}/justifications",
    response_model=JustificationList,
    responses=problem_responses(404),
)
def list_justifications(
    assessment_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    job_id: uuid.UUID | None = None,
) -> JustificationList:
    """The newest justification of each dimension (with `job_id`: that job's), each with
    copies of the excerpts it cites."""
    return service.list_justifications(session, settings, assessment_id, job_id)
