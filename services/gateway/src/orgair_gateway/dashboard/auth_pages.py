"""Sign-in with an API key, and sign-out.

Signing in checks the key exactly as an API call does (`KeyAuthenticator`), with the
same budget of failed attempts per client address (a spent address gets no key
lookups), then creates a server-side session and sets its cookie: HttpOnly,
SameSite=Lax, `Path=/dashboard`, Secure when the request came over HTTPS, and no
longer-lived than the session. A new session each time (no fixation). The key is
not kept anywhere after this request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from orgair_auth import KeyRejected
from orgair_gateway.dashboard.context import (
    PREFIX,
    SESSION_COOKIE,
    PageContext,
    error_response,
    read_form,
    resources_of,
    safe_next,
    signed_in,
)
from orgair_gateway.dashboard.csrf import SignInTokens, from_same_origin
from orgair_gateway.dashboard.render import html_page
from orgair_gateway.dashboard.sessions import SessionsUnavailable
from orgair_gateway.keystore import LookupRefused
from orgair_observability import get_logger
from orgair_observability.metrics import RATE_LIMIT_REJECTIONS

__all__ = ["router"]

log = get_logger(__name__)

SIGN_IN_PATH = f"{PREFIX}/sign-in"
SIGN_IN_COOKIE = "orgair_sign_in"
SIGN_IN_COOKIE_SECONDS = 1800
HOME = f"{PREFIX}/funds"
ENDED = {
    "key": "Your API key has been revoked or has expired. Sign in with a valid key.",
    "expired": "Your session has ended. Sign in again.",
    "signed-out": "You are signed out.",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]


def _tokens(request: Request) -> SignInTokens:
    return SignInTokens(resources_of(request).settings.SECRET_KEY.get_secret_value())


def _sign_in_form(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    message: str | None = None,
    next_path: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    cookie_value = SignInTokens.new_cookie_value()
    response = html_page(
        "sign_in.html",
        {
            "ctx": None,
            "section": "sign-in",
            "error": error,
            "message": message,
            "next_path": next_path,
            "form_token": _tokens(request).token_for(cookie_value),
        },
        status=status,
        headers=headers or (),
    )
    response.set_cookie(
        SIGN_IN_COOKIE, cookie_value, max_age=SIGN_IN_COOKIE_SECONDS, path=SIGN_IN_PATH,
        httponly=True, samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    ended = request.query_params.get("ended")
    return _sign_in_form(
        request,
        message=ENDED.get(ended or ""),
        next_path=safe_next(request.query_params.get("next")),
    )


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    resources = resources_of(request)
    fields = await read_form(request)
    next_path = safe_next(fields.get("next"))
    if not from_same_origin(request) or not _tokens(request).check(
        request.cookies.get(SIGN_IN_COOKIE), fields.get("form_token")
    ):
        log.warning("dashboard_csrf_refused", path=request.url.path)
        return _sign_in_form(
            request, status=403, next_path=next_path,
            error="The sign-in form could not be verified (it may have expired). Try again.",
        )  # fmt: skip
    key = (fields.get("api_key") or "").strip()
    if not key:
        return _sign_in_form(request, status=400, next_path=next_path, error="Enter your API key.")
    limiter = resources.rate_limiter
    address = request.client.host if request.client else "unknown"

    async def address_has_budget() -> bool:
        return not await limiter.is_exhausted(resources.address_policy, f"addr:{address}")

    try:
        record = await resources.authenticator.authenticate(key, lookup_allowed=address_has_budget)
    except (KeyRejected, LookupRefused) as exc:
        reason = exc.reason.value if isinstance(exc, KeyRejected) else "address_exhausted"
        log.info("dashboard_sign_in_failed", reason=reason)
        decision = await limiter.hit(resources.address_policy, f"addr:{address}")
        if isinstance(exc, LookupRefused) or (decision is not None and not decision.allowed):
            RATE_LIMIT_REJECTIONS.labels("client_address").inc()
            retry = str(decision.reset_seconds) if decision is not None else "60"
            return _sign_in_form(
                request, status=429, next_path=next_path,
                error=f"Too many failed sign-ins from this address; retry after {retry} s.",
                headers=[("Retry-After", retry)],
            )  # fmt: skip
        return _sign_in_form(
            request, status=401, next_path=next_path,
            error="That API key is not valid (unknown, revoked or expired).",
        )  # fmt: skip
    try:
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            # Signing in again replaces the browser's session; the old one ends here.
            await resources.sessions.end(previous)
        token, _ = await resources.sessions.create(record)
    except SessionsUnavailable:
        return error_response(
            request, 503, "Service Unavailable",
            "Dashboard sessions are unavailable (Redis does not answer). Try again shortly.",
            headers=[("Retry-After", "5")],
        )  # fmt: skip
    log.info("dashboard_signed_in", caller_id=str(record.id), role=record.role.value)
    response = RedirectResponse(next_path or HOME, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=resources.settings.DASHBOARD_SESSION_SECONDS, path=PREFIX,
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )  # fmt: skip
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/sign-out")
async def sign_out(ctx: ContextDep) -> Response:
    await ctx.form()
    await ctx.resources.sessions.end(ctx.token)
    log.info("dashboard_signed_out")
    response = RedirectResponse(f"{SIGN_IN_PATH}?ended=signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
