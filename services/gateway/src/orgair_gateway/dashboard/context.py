"""Who is asking: the session behind a dashboard request, checked on every request.

For each request under `/dashboard` (but the sign-in page and the static files):

1. the session cookie must name a live session (`sessions.SessionStore`);
2. the session's key must still be active in the key store: revoked or expired ends
   the session (`KeyAuthenticator.authenticate_id`, as fresh as an API call's check);
3. the request is counted against that key's rate limit, the same budget its API
   calls use (429 when spent), and answers carry `RateLimit-Policy` / `RateLimit`;
4. the role comes from the key store's record, so a page decides what it shows and
   the handlers what they allow from the same role the API will check.

A form post must also carry the session's CSRF token and come from this origin
(`csrf`). Everything a page needs for the rest is in its `PageContext`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import structlog
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from orgair_auth import ApiKeyRecord, Identity, KeyRejected, Role
from orgair_gateway.dashboard.csrf import from_same_origin, tokens_match
from orgair_gateway.dashboard.render import html_page
from orgair_gateway.dashboard.sessions import (
    DashboardSession,
    Notice,
    SessionsUnavailable,
)
from orgair_gateway.runtime import GatewayResources
from orgair_gateway.upstream_client import Caller, ScoringApi
from orgair_observability import get_logger, problem_response
from orgair_observability.metrics import RATE_LIMIT_REJECTIONS

__all__ = [
    "PREFIX",
    "SESSION_COOKIE",
    "Interrupt",
    "PageContext",
    "error_response",
    "resources_of",
    "safe_next",
    "signed_in",
    "signed_in_stream",
]

log = get_logger(__name__)

PREFIX = "/dashboard"
SESSION_COOKIE = "orgair_session"
CONTEXT_STATE = "dashboard_context"
# A form is a handful of short fields; anything bigger is not one of ours.
MAX_FORM_FIELDS = 20
FORM_TYPE = "application/x-www-form-urlencoded"


class Interrupt(Exception):
    """Stop handling the request and answer `response` (a redirect, an error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def resources_of(request: Request) -> GatewayResources:
    resources: GatewayResources = request.app.state.runtime.resources
    return resources


@dataclass
class PageContext:
    request: Request
    resources: GatewayResources
    token: str
    session: DashboardSession
    record: ApiKeyRecord
    api: ScoringApi
    rate_headers: list[tuple[str, str]]
    notices: list[Notice]

    @property
    def identity(self) -> Identity:
        return self.api.identity

    @property
    def role(self) -> Role:
        return self.record.role

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def can(self, role: Role | str) -> bool:
        """May this key do what `role` may? (What the page shows; the API decides.)"""
        return self.role.grants(Role(role))

    def page(self, template: str, *, status: int = 200, **values: Any) -> Response:
        return html_page(
            template, {"ctx": self, **values}, status=status, headers=self.rate_headers
        )

    def redirect(self, location: str) -> Response:
        response = RedirectResponse(location, status_code=303)
        for name, value in self.rate_headers:
            response.headers.append(name, value)
        return response

    async def notify(self, kind: str, text: str) -> None:
        """A message for the next page this session sees (after a redirect)."""
        await self.resources.sessions.add_notice(self.token, Notice(kind, text))

    def require(self, role: Role) -> None:
        """Refuse (403) when the key's role does not grant `role`, as the API would."""
        if not self.can(role):
            raise Interrupt(
                error_response(
                    self.request, 403, "Forbidden",
                    f"This needs the {role.value} role; your API key has {self.role.value}.",
                    ctx=self,
                )
            )  # fmt: skip

    async def form(self) -> Mapping[str, str]:
        """The posted form, once its origin and CSRF token have been checked."""
        fields = await read_form(self.request)
        if not from_same_origin(self.request) or not tokens_match(
            self.csrf_token, fields.get("csrf_token")
        ):
            log.warning("dashboard_csrf_refused", path=self.request.url.path)
            raise Interrupt(
                error_response(
                    self.request, 403, "Forbidden",
                    "The form could not be verified (missing or wrong CSRF token). "
                    "Reload the page and try again.",
                    ctx=self,
                )
            )  # fmt: skip
        return fields


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (first value of each); 415 for any other body."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if not body and not content_type:
        return {}  # an empty post: no token either, which the caller refuses
    if content_type != FORM_TYPE:
        raise Interrupt(
            error_response(
                request, 415, "Unsupported Media Type", f"Forms are sent as {FORM_TYPE}."
            )
        )
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise Interrupt(
            error_response(request, 400, "Bad Request", "The form could not be read.")
        ) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def error_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    ctx: PageContext | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """An error as the caller can read it: an HTML page for a browser, else a problem."""
    extra = [*(ctx.rate_headers if ctx else ()), *headers]
    accept = request.headers.get("accept", "")
    if "text/html" in accept or not accept:
        return html_page(
            "error.html",
            {"ctx": ctx, "status": status, "title": title, "detail": detail},
            status=status,
            headers=extra,
        )
    return problem_response(status, title, detail, instance=request.url.path, headers=dict(extra))


def safe_next(value: str | None) -> str | None:
    """A dashboard path to return to after sign-in, or None (never another site)."""
    if not value or "\\" in value or any(ord(char) < 0x21 for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith(PREFIX + "/"):
        return None
    return value


def _sign_in_redirect(request: Request, *, reason: str | None = None) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = []
    if request.method == "GET" and safe_next(here):
        query.append(f"next={quote(here, safe='')}")
    if reason:
        query.append(f"ended={reason}")
    location = f"{PREFIX}/sign-in" + ("?" + "&".join(query) if query else "")
    response = RedirectResponse(location, status_code=303)
    if reason:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def _authenticate(request: Request, *, browser: bool) -> PageContext:
    resources = resources_of(request)
    structlog.contextvars.bind_contextvars(caller_id=None)

    def unauthenticated(reason: str | None = None) -> Interrupt:
        if browser:
            return Interrupt(_sign_in_redirect(request, reason=reason))
        return Interrupt(
            problem_response(
                401, "Unauthorized", "Sign in to the dashboard first.", instance=request.url.path
            )
        )

    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise unauthenticated()
    try:
        session = await resources.sessions.load(token)
        if session is None:
            raise unauthenticated("expired")
        try:
            record = await resources.authenticator.authenticate_id(session.key_id)
        except KeyRejected as exc:
            log.info("dashboard_session_ended", reason=exc.reason.value)
            await resources.sessions.end(token)
            raise unauthenticated("key") from None
        notices = await resources.sessions.take_notices(token) if browser else []
    except SessionsUnavailable:
        raise Interrupt(
            error_response(
                request, 503, "Service Unavailable",
                "Dashboard sessions are unavailable (Redis does not answer); the API itself "
                "keeps serving API keys. Try again shortly.",
                headers=[("Retry-After", "5")],
            )
        ) from None  # fmt: skip

    identity = Identity(key_id=str(record.id), role=record.role)
    structlog.contextvars.bind_contextvars(caller_id=identity.key_id)
    decision = await resources.rate_limiter.hit(resources.key_policy, f"key:{identity.key_id}")
    rate_headers = (
        decision.headers()
        if decision
        else [(n.decode("latin-1"), v.decode("latin-1")) for n, v in resources.policy_only_headers]
    )
    client = request.client
    api = ScoringApi(
        resources.proxy,
        Caller(
            identity=identity,
            client_address=client.host if client else None,
            scheme=request.url.scheme,
            host=request.headers.get("host"),
        ),
        v1_prefix=resources.settings.API_V1_PREFIX,
        v2_prefix=resources.settings.API_V2_PREFIX,
    )
    context = PageContext(
        request=request,
        resources=resources,
        token=token,
        session=session,
        record=record,
        api=api,
        rate_headers=[(n, v) for n, v in rate_headers if n != "Retry-After"],
        notices=notices,
    )
    if decision is not None and not decision.allowed:
        RATE_LIMIT_REJECTIONS.labels("api_key").inc()
        raise Interrupt(
            error_response(
                request, 429, "Too Many Requests",
                f"Your API key may make {decision.policy.quota} requests per "
                f"{decision.policy.window_seconds} s (pages included); retry after "
                f"{decision.reset_seconds} s.",
                headers=decision.headers(),
            )
        )  # fmt: skip
    setattr(request.state, CONTEXT_STATE, context)
    return context


async def signed_in(request: Request) -> PageContext:
    """Dependency of every page: its `PageContext`, or a redirect to the sign-in page."""
    return await _authenticate(request, browser=True)


async def signed_in_stream(request: Request) -> PageContext:
    """Dependency of the event stream and downloads: as `signed_in`, but 401 (no redirect)."""
    return await _authenticate(request, browser=False)


def context_of(request: Request) -> PageContext | None:
    """The request's context, when authentication got that far (for error pages)."""
    context = getattr(request.state, CONTEXT_STATE, None)
    return context if isinstance(context, PageContext) else None


def parse_uuid(request: Request, value: str, what: str) -> uuid.UUID:
    """A path's id, or a 404 page (a malformed id names nothing)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Interrupt(
            error_response(request, 404, "Not Found", f"There is no {what} {value!r}.",
                           ctx=context_of(request))
        ) from None  # fmt: skip
