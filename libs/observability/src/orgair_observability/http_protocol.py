"""The HTTP/1.1 connection protocol every service serves with: uvicorn's httptools
protocol, bounded where a client could otherwise hold the server, and answering in
problem documents where the server itself refuses a request.

uvicorn waits for a request's head (request line and headers) as long as the client
likes: a connection sending one header byte a second is held indefinitely, a fresh
connection that sends nothing too, and a few hundred of them exhaust the process. No
ASGI layer can help: the application only sees a request once its head is complete.
So the bounds live here, on the connection:

* the head must be complete `header_timeout` seconds after the connection opened or
  the request's first byte arrived; else ``408`` and the connection is closed;
* the head may be at most `max_header_bytes` long; else ``431`` and closed.

What uvicorn answers by itself is a problem document here, like every other error of
the platform (DESIGN §4), instead of uvicorn's ``text/plain``:

* an unparseable request (conflicting ``Content-Length`` and ``Transfer-Encoding``,
  a bad request line, ...): ``400``;
* a request beyond the server's concurrency limit: ``503`` with ``Retry-After``.

The body is not bounded here: the gateway limits its size (413), and reads it whole
before taking an upstream connection, so a slow upload holds a coroutine and its own
connection, which the concurrency limit counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from orgair_observability.correlation import accept_or_generate_correlation_id
from orgair_observability.problems import problem_response

__all__ = ["bounded_http_protocol"]

_TITLES = {
    400: "Bad Request",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _problem_bytes(
    status: int, detail: str, default_headers: list[tuple[bytes, bytes]], **extra: str
) -> bytes:
    """A complete HTTP/1.1 problem response that closes the connection, as raw bytes."""
    response = problem_response(
        status,
        _TITLES[status],
        detail,
        correlation_id=accept_or_generate_correlation_id(None),
        headers={"Connection": "close", **extra},
    )
    lines = [STATUS_LINE[status]]
    for name, value in (*default_headers, *response.raw_headers):
        lines.extend((name, b": ", value, b"\r\n"))
    lines.extend((b"\r\n", bytes(response.body)))
    return b"".join(lines)


async def _over_capacity(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        503,
        _TITLES[503],
        "The server is at its connection limit; retry shortly.",
        instance=scope.get("path"),
        correlation_id=accept_or_generate_correlation_id(None),
        headers={"Connection": "close", "Retry-After": "1"},
    )
    await response(scope, receive, send)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head (see the module)."""

    header_timeout: float = 10.0
    max_header_bytes: int = 65536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    # A head is "in progress" from the connection's start, or the first byte of a
    # request on a kept-alive connection, until its headers are complete.
    def _start_head(self) -> None:
        self._head_bytes = 0
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _end_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_head()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head()

    def on_headers_complete(self) -> None:
        self._end_head()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted only while the head is still incomplete after this chunk: a chunk
        # that completes it may carry any amount of body.
        if self._head_timer is not None and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._refuse(431, f"The request head is longer than {self.max_header_bytes} bytes.")

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head is late while a response is still being written:
            # let that response finish, then close.
            self.cycle.keep_alive = False
            return
        self._refuse(
            408, f"The request head did not arrive within {self.header_timeout:g} seconds."
        )

    def _refuse(self, status: int, detail: str) -> None:
        self._end_head()
        self.logger.info("HTTP request refused by the server: %s %s", status, detail)
        self.transport.write(_problem_bytes(status, detail, self.server_state.default_headers))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._end_head()
        self.transport.write(
            _problem_bytes(
                400, f"The request is not valid HTTP/1.1: {msg}", self.server_state.default_headers
            )
        )
        self.transport.close()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # uvicorn hands a request past `limit_concurrency` to its text/plain 503 app.
        chosen: Any = _over_capacity if app is service_unavailable else app
        super()._start_asgi_task(cycle, chosen)


def bounded_http_protocol(
    *, header_timeout: float, max_header_bytes: int
) -> type[BoundedHttpToolsProtocol]:
    """The protocol class for `uvicorn.Config(http=...)` with these bounds."""
    return type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes},
    )
