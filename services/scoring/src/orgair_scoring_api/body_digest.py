"""The SHA-256 of a request's body as it arrives, for the gateway's signature check.

The signed identity covers the body's digest (`orgair_auth.identity`). Reading the
body in the identity check with `request.body()` works when nothing read it before,
or when FastAPI read it for a JSON body (it keeps the bytes); a form (a multipart
upload) is parsed from the stream instead, which leaves nothing to read again. So
this pure-ASGI layer hashes the body chunk by chunk on its way to whoever reads it,
and the check takes the digest from here: after the endpoint's form was parsed, or,
if nothing has read the body yet, once it has drained it.

Requests without a body (no ``Content-Length`` other than 0, no
``Transfer-Encoding``; RFC 9112 §6.3) pass untouched: their digest is the empty
body's.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgair_auth import EMPTY_BODY_SHA256

__all__ = ["BodyDigestMiddleware", "received_body_sha256"]

_STATE = "body_digest"


class _Digest:
    __slots__ = ("complete", "hasher")

    def __init__(self) -> None:
        self.hasher = hashlib.sha256()
        self.complete = False


def _declares_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


class BodyDigestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _declares_body(scope):
            await self.app(scope, receive, send)
            return
        digest = _Digest()
        scope.setdefault("state", {})[_STATE] = digest

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                digest.hasher.update(message.get("body", b""))
                if not message.get("more_body", False):
                    digest.complete = True
            return message

        await self.app(scope, hashing_receive, send)


async def received_body_sha256(request: Request) -> str:
    """The hex SHA-256 of the request's whole body (drained here if nothing read it);
    raises `starlette.requests.ClientDisconnect` if the caller went away mid-body."""
    digest = request.scope.get("state", {}).get(_STATE)
    if not isinstance(digest, _Digest):
        return EMPTY_BODY_SHA256
    if not digest.complete:
        # Nothing has read the body (or only part of it): read the rest, through the
        # hashing receive. Starlette keeps what it reads for the endpoint.
        await request.body()
    return digest.hasher.hexdigest()
