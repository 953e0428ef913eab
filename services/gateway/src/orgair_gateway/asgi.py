"""Small helpers shared by the gateway's pure-ASGI layers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

from orgair_observability import problem_response

__all__ = ["header_value", "send_problem", "state"]

RawHeaders = list[tuple[bytes, bytes]]


def header_value(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower-case bytes) in the request."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def state(scope: Scope) -> dict[str, Any]:
    """The request's state dict (`request.state` in FastAPI); the server may have created it."""
    value: dict[str, Any] = scope.setdefault("state", {})
    return value


async def send_problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    **extensions: Any,
) -> None:
    """Answer with an RFC 9457 problem from outside FastAPI's exception handlers."""
    response = problem_response(
        status,
        title,
        detail,
        instance=scope["path"],
        headers=dict(headers.items() if isinstance(headers, Mapping) else headers),
        **extensions,
    )
    await response(scope, receive, send)
