"""The gateway's own calls to the scoring API as one caller: the request a proxied call would be.

The features of the gateway that answer from scoring's data — the analyst pages at
`/dashboard` and the MCP tools at `/mcp` — keep no copy of any business rule: they
call scoring's `/api/v1` and `/api/v2` endpoints as the caller's API key, over the
proxy's pooled aiohttp session, with the headers the proxy sends for a proxied call:
`X-Forwarded-*`, the request's correlation id, its trace context, and the gateway's
signed identity over the method and target. So the API's own checks (roles,
validation, the review gate, one job per fund) decide every answer, exactly as they
would for the same key over HTTP, and neither feature imports scoring.

`ScoringApi.open` is the one place such a request is built and signed; every other
call goes through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
from starlette.types import Scope
from yarl import URL

from orgair_auth import EMPTY_BODY_SHA256, Identity, body_sha256, request_target
from orgair_gateway.asgi import header_value, state
from orgair_gateway.proxy import IDENTITY_STATE, UpstreamProxy, trace_headers
from orgair_observability import get_correlation_id, get_logger

__all__ = [
    "ABSENT_ENDPOINT",
    "ApiAnswer",
    "ApiRefused",
    "Caller",
    "Problem",
    "ScoringApi",
    "UpstreamUnavailable",
]

log = get_logger(__name__)

JSON = "application/json"
QueryValue = str | int | float | bool
Query = Mapping[str, QueryValue | None] | Sequence[tuple[str, QueryValue]]
# Statuses of an endpoint that does not exist (yet) on this scoring version: a page
# leaves its section out rather than showing anything in its place.
ABSENT_ENDPOINT = frozenset({404, 405})
_PROBLEM_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "errors", "correlation_id"}
)


@dataclass(frozen=True)
class Caller:
    """Who the gateway calls for: the key (a request's, or a dashboard session's), and
    the request it came with."""

    identity: Identity
    client_address: str | None
    scheme: str
    host: str | None

    @classmethod
    def of_request(cls, scope: Scope) -> Caller:
        """The caller of a request the access layer authenticated (its identity is in
        the request state; a request without one never gets this far)."""
        identity = state(scope).get(IDENTITY_STATE)
        if not isinstance(identity, Identity):
            raise RuntimeError("the request was not authenticated by the access layer")
        client = scope.get("client")
        host = header_value(scope, b"host")
        return cls(
            identity=identity,
            client_address=str(client[0]) if client else None,
            scheme=str(scope.get("scheme", "http")),
            host=host.decode("latin-1") if host else None,
        )


@dataclass(frozen=True)
class Problem:
    """An API refusal as scoring sent it (RFC 9457 members plus any extensions)."""

    status: int
    title: str
    detail: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Members beyond RFC 9457's own (e.g. the `job_id` of a 409 about a running job).
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, status: int, body: Any) -> Problem:
        if not isinstance(body, Mapping):
            return cls(status, f"The API answered {status}")
        errors = body.get("errors")
        detail = body.get("detail")
        return cls(
            status=status,
            title=str(body.get("title") or f"The API answered {status}"),
            detail=str(detail) if detail is not None else None,
            errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
            extensions={k: v for k, v in body.items() if k not in _PROBLEM_MEMBERS},
        )

    @property
    def message(self) -> str:
        """One readable line: each field error (named by its field), else the detail,
        else the title."""
        parts = []
        for error in self.errors:
            text = error.get("detail") or error.get("message")
            if not text:
                continue
            text = str(text).removeprefix("Value error, ")
            field_name = str(error.get("pointer") or "").rsplit("/", 1)[-1]
            parts.append(f"{field_name}: {text}" if field_name and field_name != "body" else text)
        if parts:
            return "; ".join(parts)
        return self.detail or self.title


class ApiRefused(Exception):
    """The API answered with an error status (its problem is in `problem`)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.title}")
        self.problem = problem


class UpstreamUnavailable(Exception):
    """Scoring could not be reached or did not answer in time (502 / 504)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    @property
    def title(self) -> str:
        return "Gateway Timeout" if self.status == 504 else "Bad Gateway"


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def problem(self) -> Problem:
        try:
            body = self.json()
        except orjson.JSONDecodeError:
            body = None
        return Problem.of(self.status, body)


class ScoringApi:
    """The scoring API as one caller sees it through the gateway."""

    def __init__(
        self, proxy: UpstreamProxy, caller: Caller, *, v1_prefix: str, v2_prefix: str
    ) -> None:
        self._proxy = proxy
        self._caller = caller
        self._v1 = v1_prefix.rstrip("/")
        self._v2 = v2_prefix.rstrip("/")
        upstream = proxy.upstream
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            # Waiting for a pooled connection counts: a full pool is a refusal, not a hang.
            connect=upstream.pool_timeout + upstream.connect_timeout,
            sock_connect=upstream.connect_timeout,
            sock_read=upstream.read_timeout,
        )

    @property
    def identity(self) -> Identity:
        return self._caller.identity

    def v1(self, *segments: object) -> str:
        return _path(self._v1, segments)

    def v2(self, *segments: object) -> str:
        return _path(self._v2, segments)

    @contextlib.asynccontextmanager
    async def open(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: bytes | None = None,
        headers: Iterable[tuple[str, str]] = (),
        accept: str = JSON,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send one request to scoring as the caller; the response, open (streamable).

        The headers are the proxy's for a proxied call: `X-Forwarded-*`, the request's
        correlation id, its trace context, and the gateway's signed identity over the
        method, target and body."""
        method = method.upper()
        encoded_query = urlencode(_query_items(query)) if query else ""
        target = request_target(path, encoded_query)
        caller = self._caller
        sent: list[tuple[str, str]] = [("Accept", accept)]
        if body is not None:
            sent.append(("Content-Type", JSON))
        sent.extend(headers)
        if caller.client_address:
            sent.append(("X-Forwarded-For", caller.client_address))
        sent.append(("X-Forwarded-Proto", caller.scheme))
        if caller.host:
            sent.append(("X-Forwarded-Host", caller.host))
        correlation_id = get_correlation_id()
        if correlation_id:
            sent.append(("X-Correlation-ID", correlation_id))
        sent.extend(trace_headers([]))
        digest = body_sha256(body) if body else EMPTY_BODY_SHA256
        sent.extend(self._proxy.signer.sign(caller.identity, method, target, digest))
        url = URL(self._proxy.upstream.base_url + target, encoded=True)
        try:
            async with self._proxy.session.request(
                method,
                url,
                headers=sent,
                data=body,
                allow_redirects=False,
                compress=None,
                timeout=self._timeout,
            ) as response:
                yield response
        except aiohttp.ConnectionTimeoutError as exc:
            detail = "The scoring API did not accept a connection in time."
            raise _unavailable(504, detail, exc) from exc
        except TimeoutError as exc:
            raise _unavailable(504, "The scoring API did not answer in time.", exc) from exc
        except aiohttp.ClientError as exc:
            raise _unavailable(502, "The scoring API is unreachable.", exc) from exc

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        json: Any = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> ApiAnswer:
        """The whole answer to one call, whatever its status."""
        body = orjson.dumps(json) if json is not None else None
        async with self.open(method, path, query=query, body=body, headers=headers) as response:
            content = await response.read()
            return ApiAnswer(
                response.status,
                content,
                {name.lower(): value for name, value in response.headers.items()},
            )

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        json: Any = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Any:
        """The JSON of a successful call; `ApiRefused` with the API's problem otherwise."""
        answer = await self.request(method, path, query=query, json=json, headers=headers)
        if not answer.ok:
            raise ApiRefused(answer.problem())
        return answer.json()

    async def get(self, path: str, query: Query | None = None) -> Any:
        """The JSON of a successful GET; `ApiRefused` with the API's problem otherwise."""
        return await self.call("GET", path, query=query)

    async def get_if_present(self, path: str, query: Query | None = None) -> Any | None:
        """As `get`, but None when this scoring version has no such endpoint (404/405):
        a page section for an API that is not there is left out, never filled in."""
        answer = await self.request("GET", path, query=query)
        if answer.status in ABSENT_ENDPOINT:
            return None
        if not answer.ok:
            raise ApiRefused(answer.problem())
        return answer.json()


def _path(prefix: str, segments: Iterable[object]) -> str:
    # Every segment is quoted: a caller's value can never add a path level.
    return prefix + "".join("/" + quote(str(segment), safe="") for segment in segments)


def _query_items(query: Query) -> list[tuple[str, str]]:
    pairs = query.items() if isinstance(query, Mapping) else query
    items: list[tuple[str, str]] = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            items.append((name, "true" if value else "false"))
        else:
            items.append((name, str(value)))
    return items


def _unavailable(status: int, detail: str, exc: BaseException) -> UpstreamUnavailable:
    log.warning("upstream_call_unavailable", status=status, error_type=type(exc).__name__)
    return UpstreamUnavailable(status, detail)
