"""The domain's refusals as HTTP problem details (RFC 9457).

Use cases raise `orgair_domain.errors` exceptions, which know no HTTP; this is the
one place that says which status each kind of refusal is answered with. The body is
the platform's usual problem document: the refusal's `detail`, its title (the
status phrase unless the refusal names itself), its `type` (the refusal's `code` as
the slug when it has one, else the status's), and its facts as extension members.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI

from orgair_domain.errors import (
    Conflict,
    ContentTooLarge,
    DomainError,
    InvalidInput,
    NotFound,
    Unavailable,
    Unprocessable,
    UnsupportedContent,
)
from orgair_observability.problems import ProblemError, problem_handler, problem_type

STATUS_OF: Mapping[type[DomainError], HTTPStatus] = {
    NotFound: HTTPStatus.NOT_FOUND,
    InvalidInput: HTTPStatus.BAD_REQUEST,
    Conflict: HTTPStatus.CONFLICT,
    Unprocessable: HTTPStatus.UNPROCESSABLE_ENTITY,
    Unavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    ContentTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedContent: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
}


def status_of(error: DomainError) -> HTTPStatus:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    raise TypeError(f"no HTTP status for {type(error).__name__}")


def problem_of(exc: Exception) -> ProblemError:
    if not isinstance(exc, DomainError):
        raise TypeError(f"registered for DomainError, got {type(exc).__name__}")
    status = status_of(exc)
    headers = (
        {"Retry-After": str(exc.retry_after_seconds)}
        if isinstance(exc, Unavailable) and exc.retry_after_seconds is not None
        else None
    )
    return ProblemError(
        status,
        exc.title or status.phrase,
        exc.detail,
        type_=problem_type(exc.code) if exc.code else None,
        headers=headers,
        **exc.facts,
    )


def install_domain_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, problem_handler(problem_of))
