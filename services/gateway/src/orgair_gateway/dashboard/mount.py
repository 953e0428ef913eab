"""Adds the dashboard to the gateway app: its routes and how its errors are answered.

The API's refusals become pages with the API's own title and detail and status
(a 404 stays a 404); an unreachable or slow scoring becomes 502/504. A 401 from
scoring can only mean the gateway's own signature was refused (a configuration
fault), so it is shown as a 502, never as "sign in again".
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from orgair_gateway.dashboard import (
    auth_pages,
    company_pages,
    fund_pages,
    job_pages,
    parameter_pages,
    review_pages,
    static,
)
from orgair_gateway.dashboard.context import (
    PREFIX,
    Interrupt,
    context_of,
    error_response,
)
from orgair_gateway.upstream_client import ApiRefused, UpstreamUnavailable
from orgair_observability import get_logger

__all__ = ["PREFIX", "mount_dashboard"]

log = get_logger(__name__)

_fallback = APIRouter(prefix=PREFIX, include_in_schema=False)


@_fallback.get("/{path:path}")
async def not_found(path: str, request: Request) -> Response:
    return error_response(request, 404, "Not Found", "There is no such dashboard page.")


async def _interrupted(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Interrupt)
    return exc.response


async def _api_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiRefused)
    problem = exc.problem
    if problem.status == 401 or (problem.status >= 500 and problem.status not in {503, 504}):
        log.warning("dashboard_api_error", status=problem.status)
        return error_response(
            request, 502, "Bad Gateway",
            "The scoring API could not answer this page.", ctx=context_of(request),
        )  # fmt: skip
    return error_response(
        request, problem.status, problem.title, problem.message, ctx=context_of(request)
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpstreamUnavailable)
    title = "Gateway Timeout" if exc.status == 504 else "Bad Gateway"
    return error_response(request, exc.status, title, exc.detail, ctx=context_of(request))


def mount_dashboard(app: FastAPI) -> None:
    app.include_router(static.router)
    app.include_router(auth_pages.router)
    for pages in (fund_pages, job_pages, company_pages, review_pages, parameter_pages):
        app.include_router(pages.router)
    app.include_router(_fallback)
    app.add_exception_handler(Interrupt, _interrupted)
    app.add_exception_handler(ApiRefused, _api_refused)
    app.add_exception_handler(UpstreamUnavailable, _unavailable)
