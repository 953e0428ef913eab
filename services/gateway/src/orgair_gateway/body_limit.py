"""Request body size limit: 413 before reading when Content-Length is too large, and
413 as soon as a streamed (chunked) body grows past the limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgair_gateway.asgi import header_value, send_problem

__all__ = ["RequestBodyLimitMiddleware", "RequestBodyTooLarge"]

TITLE = "Content Too Large"


class RequestBodyTooLarge(Exception):
    """Raised from `receive` once the body passes the limit."""


class RequestBodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = header_value(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestBodyTooLarge:
            if response_started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_problem(
            scope,
            receive,
            send,
            413,
            TITLE,
            f"The request body is larger than {self.max_body_bytes} bytes.",
            # The rest of the body is not read; the connection cannot be reused.
            headers={"Connection": "close"},
            max_body_bytes=self.max_body_bytes,
        )
