"""RFC 9457 problem details for every error response.

Bodies are ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, ``instance`` (the request path) and ``correlation_id``, plus any
extension members. Validation failures add ``errors``: one entry per problem,
located by an RFC 6901 JSON Pointer into the request (``/body/scores/0/score``,
``/query/page``).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from orgair_observability.correlation import (
    CORRELATION_HEADER,
    get_correlation_id,
    request_correlation_id,
)
from orgair_observability.logging import get_logger, mark_exception_logged

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "BadRequest",
    "Conflict",
    "NotFound",
    "ProblemError",
    "ProblemResponse",
    "default_problem_type",
    "install_problem_handlers",
    "json_pointer",
    "problem_handler",
    "problem_response",
    "problem_type",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://errors.pe-orgair.example/"

# Members defined by RFC 9457 (and ours, `correlation_id`); extensions may not replace them.
_RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "correlation_id"})

# Slugs for the statuses the platform answers with; others are derived from the
# status phrase ("Gone" -> "gone").
_STATUS_SLUGS: Mapping[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "quota-exceeded",
    500: "internal",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}
_NON_SLUG_CHARACTERS = re.compile(r"[^a-z0-9]+")
VALIDATION_TITLE = "Validation Error"
INTERNAL_ERROR_TITLE = "Internal Server Error"
INTERNAL_ERROR_DETAIL = (
    "The server could not complete the request. "
    "Quote the correlation_id when reporting the problem."
)

_log = get_logger("orgair.problems")


def problem_type(slug: str) -> str:
    """The `type` URI for `slug` (``not-found`` -> ``https://errors.pe-orgair.example/not-found``)."""
    return PROBLEM_TYPE_BASE + slug


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def default_problem_type(status: int) -> str:
    slug = _STATUS_SLUGS.get(status)
    if slug is None:
        try:
            # "I'm a Teapot" -> "i-m-a-teapot": only characters a URI path keeps as they are.
            slug = _NON_SLUG_CHARACTERS.sub("-", HTTPStatus(status).phrase.lower()).strip("-")
        except ValueError:
            slug = f"http-{status}"
    return problem_type(slug)


class ProblemResponse(Response):
    """A problem details body rendered with orjson."""

    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_jsonable, option=orjson.OPT_NON_STR_KEYS)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    correlation_id: str | None = None,
    **extensions: Any,
) -> Response:
    """An ``application/problem+json`` response.

    `correlation_id` defaults to the one bound to the current request; when
    known it is also sent as the ``X-Correlation-ID`` header. `detail` and
    `instance` are left out of the body when None.
    """
    clashing = _RESERVED_MEMBERS.intersection(extensions)
    if clashing:
        raise ValueError(f"extension members may not replace {sorted(clashing)}")
    correlation_id = correlation_id if correlation_id is not None else get_correlation_id()
    body: dict[str, Any] = {
        "type": type_ or default_problem_type(status),
        "title": title,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body["correlation_id"] = correlation_id
    body.update(extensions)

    response_headers = dict(headers or {})
    if correlation_id is not None:
        response_headers[CORRELATION_HEADER] = correlation_id
    return ProblemResponse(body, status_code=status, headers=response_headers)


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem details response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or default_problem_type(status)
        self.headers: dict[str, str] = dict(headers or {})
        self.extensions: dict[str, Any] = extensions

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, title={self.title!r})"

    def to_response(
        self, *, instance: str | None = None, correlation_id: str | None = None
    ) -> Response:
        return problem_response(
            self.status,
            self.title,
            self.detail,
            type_=self.type,
            instance=instance,
            headers=self.headers,
            correlation_id=correlation_id,
            **self.extensions,
        )


class NotFound(ProblemError):
    """404: ``NotFound("company", company_id)`` -> detail ``company '<id>' not found``."""

    def __init__(self, resource: str, identifier: object, **extensions: Any) -> None:
        super().__init__(404, "Not Found", f"{resource} '{identifier}' not found", **extensions)
        self.resource = resource
        self.identifier = identifier


class BadRequest(ProblemError):
    """400: the request is well-formed but breaks a domain rule."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(400, "Bad Request", detail, **extensions)


class Conflict(ProblemError):
    """409: the request conflicts with the current state of the resource."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(409, "Conflict", detail, **extensions)


def json_pointer(location: Sequence[str | int]) -> str:
    """RFC 6901 pointer for a pydantic/FastAPI error ``loc`` (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in location)


async def _problem_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ProblemError):
        raise TypeError(f"registered for ProblemError, got {type(exc).__name__}")
    return exc.to_response(
        instance=request.url.path, correlation_id=request_correlation_id(request.scope)
    )


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def problem_handler(convert: Callable[[Exception], ProblemError]) -> ExceptionHandler:
    """An exception handler for the errors of a layer that knows no HTTP (a domain
    library's): each is answered as the `ProblemError` that `convert` makes of it,
    exactly as a raised `ProblemError` would be."""

    async def handle(request: Request, exc: Exception) -> Response:
        return await _problem_error_handler(request, convert(exc))

    return handle


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise TypeError(f"registered for HTTPException, got {type(exc).__name__}")
    headers = dict(exc.headers or {})
    if exc.status_code in {204, 304}:
        # These statuses carry no body (RFC 9110 §15.3.5, §15.4.5).
        return Response(status_code=exc.status_code, headers=headers)
    extensions: dict[str, Any] = {}
    if isinstance(exc.detail, str):
        detail = exc.detail
    else:
        # FastAPI allows any JSON as `detail`; RFC 9457 wants a string there.
        detail = _status_phrase(exc.status_code)
        extensions["context"] = exc.detail
    return problem_response(
        exc.status_code,
        _status_phrase(exc.status_code),
        detail,
        instance=request.url.path,
        headers=headers,
        correlation_id=request_correlation_id(request.scope),
        **extensions,
    )


async def _validation_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise TypeError(f"registered for RequestValidationError, got {type(exc).__name__}")
    # Only `loc`, `msg` and `type`: `input` (and `ctx`, which can quote it) may be
    # a password or an API key the caller mistyped.
    errors = [
        {
            "pointer": json_pointer(error.get("loc", ())),
            "detail": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    count = len(errors)
    return problem_response(
        422,
        VALIDATION_TITLE,
        f"The request has {count} invalid value{'s' if count != 1 else ''}; "
        "see 'errors' for each one.",
        instance=request.url.path,
        correlation_id=request_correlation_id(request.scope),
        errors=errors,
    )


def _internal_error_handler(*, debug: bool) -> ExceptionHandler:
    async def handle(request: Request, exc: Exception) -> Response:
        correlation_id = request_correlation_id(request.scope)
        _log.error(
            "unhandled_exception",
            exc_info=exc,
            method=request.method,
            path=request.url.path,
            correlation_id=correlation_id,
        )
        # Starlette re-raises after this handler; the server would log the stack again.
        mark_exception_logged(exc)
        if not debug:
            return problem_response(
                500,
                INTERNAL_ERROR_TITLE,
                INTERNAL_ERROR_DETAIL,
                instance=request.url.path,
                correlation_id=correlation_id,
            )
        return problem_response(
            500,
            INTERNAL_ERROR_TITLE,
            f"{type(exc).__name__}: {exc}",
            instance=request.url.path,
            correlation_id=correlation_id,
            traceback=traceback.format_exception(exc),
        )

    return handle


def install_problem_handlers(app: FastAPI, *, debug: bool) -> None:
    """Answer every error raised in `app` with problem details.

    Unhandled exceptions become a 500 whose detail is generic unless `debug`;
    the exception and its stack go to the log, with the correlation id.
    """
    app.add_exception_handler(ProblemError, _problem_error_handler)
    # Registering Starlette's class also covers FastAPI's subclass, and the
    # 404/405 that routing raises.
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(Exception, _internal_error_handler(debug=debug))
