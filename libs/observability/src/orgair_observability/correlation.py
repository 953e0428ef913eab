"""Correlation ids: one id per request, echoed to the caller and bound into every log line."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import structlog

from orgair_observability.logging import get_logger

if TYPE_CHECKING:  # annotations only: importing this module must not load Starlette
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CORRELATION_HEADER",
    "CorrelationIdMiddleware",
    "accept_or_generate_correlation_id",
    "get_correlation_id",
    "is_well_formed_correlation_id",
    "request_correlation_id",
]

CORRELATION_HEADER = "X-Correlation-ID"
CORRELATION_ID_KEY = "correlation_id"

_HEADER_NAME = CORRELATION_HEADER.lower().encode("latin-1")
# Letters, digits and a few separators, 8..128 characters: long enough to be
# unique, short and plain enough to be safe in a log line or a header.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_access_log = get_logger("orgair.access")


def is_well_formed_correlation_id(value: str) -> bool:
    # fullmatch: with `re.match` and `$`, a trailing newline would be accepted.
    return _WELL_FORMED.fullmatch(value) is not None


def accept_or_generate_correlation_id(candidate: str | None) -> str:
    """`candidate` when it is well-formed, else a fresh random id (32 hex digits)."""
    if candidate is not None and is_well_formed_correlation_id(candidate):
        return candidate
    # 128 random bits from the process's PRNG (reseeded after a fork), as OpenTelemetry
    # draws trace ids: an identifier, not a secret, so no system call per request.
    return f"{random.getrandbits(128):032x}"


def get_correlation_id() -> str | None:
    """The correlation id bound to the current context, if any."""
    value = structlog.contextvars.get_contextvars().get(CORRELATION_ID_KEY)
    return value if isinstance(value, str) else None


def request_correlation_id(scope: Scope) -> str | None:
    """The correlation id of the request `scope` belongs to: the one the middleware
    stored in the scope's state, else the one bound to the current context.

    The scope state is one dict lookup (the proxy asks on every request), and it
    outlives the middleware's contextvar binding: Starlette runs the 500 handler
    outside all user middleware, after the binding was reset.
    """
    state = scope.get("state")
    if isinstance(state, Mapping):
        value = state.get(CORRELATION_ID_KEY)
        if isinstance(value, str):
            return value
    return get_correlation_id()


def _header_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == _HEADER_NAME:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


class CorrelationIdMiddleware:
    """Pure ASGI middleware: correlation id per HTTP request plus one access log line.

    The id comes from the caller's ``X-Correlation-ID`` header when it is
    well-formed, otherwise it is generated. It is bound into structlog's
    contextvars for the duration of the request (then reset, so it never leaks
    into the next request handled by the same task), stored in
    ``scope["state"]["correlation_id"]`` (``request.state.correlation_id``), and
    set on the response. Lifespan and websocket scopes pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The access line is written on every request: once logging is configured
        # (services configure it before they build their app), the middleware keeps
        # the assembled logger instead of going through the module's lazy proxy on
        # each call (structlog's performance advice; the proxy caches the same
        # logger on first use anyway).
        self._access_log = _access_log.bind() if structlog.is_configured() else _access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        correlation_id = accept_or_generate_correlation_id(_header_value(scope))
        # Update in place: the server may have put lifespan state in this dict.
        scope.setdefault("state", {})[CORRELATION_ID_KEY] = correlation_id
        header = (_HEADER_NAME, correlation_id.encode("latin-1"))
        status: int | None = None

        async def send_with_correlation_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Replace, never duplicate, a header an inner handler already set.
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != _HEADER_NAME
                ]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_correlation_id)
        except Exception as exc:
            # Nothing sent yet means the server (or Starlette's error middleware)
            # answers 500; a started response is cut short. Either way it failed.
            self._access_log.error(
                "request_failed",
                **_request_fields(scope, status or 500, started),
                error_type=type(exc).__name__,
            )
            raise
        else:
            fields = _request_fields(scope, status or 500, started)
            self._access_log.info("request_completed", **fields)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)


def _request_fields(scope: Scope, status: int, started: float) -> dict[str, Any]:
    # The path only: query strings can carry credentials (`?api_key=…`).
    return {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
