"""`/api/v2` scoring jobs: start a fund's job, follow it (JSON or Server-Sent Events),
cancel it, fetch its report."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import StreamingResponse

from orgair_auth import Role
from orgair_domain.funds import scoring_jobs
from orgair_domain.jobs import service
from orgair_domain.jobs.events import EVENT_ID
from orgair_domain.jobs.schemas import JobOut, JobRequest, JobSummaryOut, ReportLinkOut
from orgair_domain.pagination import Page
from orgair_observability import BadRequest
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep, require_role
from orgair_scoring_api.dependencies import PageDep, ResourcesDep, SessionDep, SettingsDep
from orgair_scoring_api.job_event_stream import job_event_stream

router = APIRouter(tags=["scoring jobs"])

# Visible ASCII, as the IETF Idempotency-Key draft's examples (UUIDs, random tokens).
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    # Proxies that buffer responses (nginx) must pass each event on at once.
    "X-Accel-Buffering": "no",
}


@router.post(
    "/funds/{fund_id}/scoring-jobs",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_role(Role.ANALYST))],
    responses=problem_responses(400, 404, 409, 422, 503),
)
def start_fund_job(
    fund_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    identity: IdentityDep,
    body: JobRequest | None = None,
    idempotency_key: Annotated[
        str | None,
        # Checked below (a 400 naming the header); documented here.
        Header(
            alias="Idempotency-Key",
            json_schema_extra={"pattern": f"^{IDEMPOTENCY_KEY.pattern}$", "maxLength": 255},
        ),
    ] = None,
) -> JobOut:
    """Score every member's latest submitted assessment in the background.

    Answers 202 with the job; `Location` names it. With an `Idempotency-Key`, a retried
    request returns the same job (`Idempotent-Replayed: true`) instead of starting another.
    """
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            errors=[{"pointer": "/header/Idempotency-Key", "detail": "malformed"}],
        )
    job, replayed = scoring_jobs.create_fund_job(
        session,
        resources.settings,
        resources.job_queue,
        fund_id,
        body or JobRequest(),
        actor=identity.key_id,
        idempotency_key=idempotency_key,
        correlation_id=getattr(request.state, "correlation_id", None),
    )
    response.headers["Location"] = job.links.self
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return job


@router.get(
    "/funds/{fund_id}/scoring-jobs",
    response_model=Page[JobSummaryOut],
    responses=problem_responses(404),
)
def list_fund_jobs(
    fund_id: uuid.UUID, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[JobSummaryOut]:
    """The fund's jobs, newest first."""
    return scoring_jobs.list_fund_jobs(session, settings, fund_id, page)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=problem_responses(404))
def get_job(job_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> JobOut:
    return service.get_job(session, settings, job_id)


@router.delete(
    "/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[Depends(require_role(Role.ANALYST))],
    responses=problem_responses(404, 409),
)
def cancel_job(
    job_id: uuid.UUID, session: SessionDep, resources: ResourcesDep, identity: IdentityDep
) -> JobOut:
    """Cancel a queued or running job: no score is written for it afterwards."""
    return service.cancel_job(
        session, resources.settings, resources.job_events, job_id, actor=identity.key_id
    )


@router.get(
    "/jobs/{job_id}/report", response_model=ReportLinkOut, responses=problem_responses(404, 409)
)
def report_link(
    job_id: uuid.UUID,
    session: SessionDep,
    resources: ResourcesDep,
    format: Literal["json", "csv"] = "json",
) -> ReportLinkOut:
    """A short-lived presigned URL of the job's report in S3."""
    return service.report_link(session, resources.settings, resources.objects, job_id, format)


@router.get(
    "/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The job's events, as Server-Sent Events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problem_responses(400, 404),
    },
)
def job_events(
    job_id: uuid.UUID,
    resources: ResourcesDep,
    last_event_id: Annotated[
        str | None,
        # Checked below (a 400 naming the header); documented here.
        Header(alias="Last-Event-ID", json_schema_extra={"pattern": f"^{EVENT_ID.pattern}$"}),
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events: `progress`, `company_failed`, then `completed`.

    Reconnecting with `Last-Event-ID` resumes after that event.
    """
    if last_event_id is not None and not EVENT_ID.fullmatch(last_event_id):
        raise BadRequest(
            "Last-Event-ID must be an event id of this stream (<milliseconds>-<sequence>)",
            errors=[{"pointer": "/header/Last-Event-ID", "detail": "malformed"}],
        )
    # A session of its own, closed before streaming: a request-scoped one would hold a
    # database connection for as long as the client listens.
    with resources.database.sessions() as session:
        service.require_job(session, job_id)
    return StreamingResponse(
        job_event_stream(
            resources.job_event_reader,
            resources.database,
            job_id,
            last_event_id=last_event_id,
            keepalive_seconds=resources.settings.JOB_SSE_KEEPALIVE_SECONDS,
        ),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )
