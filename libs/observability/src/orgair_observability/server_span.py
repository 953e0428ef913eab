"""A SERVER span for requests answered outside the framework's routing.

FastAPI opens a SERVER span for every request it handles. The gateway sends its
proxied paths around FastAPI altogether (DESIGN §4: routing costs more than the
forwarding), so those requests get their span here instead: one span, no
FastAPI span beside it. Like FastAPI's, it continues the caller's W3C trace
context, is current while the request runs (log lines carry its ids, outgoing
calls propagate it) and records the method, path, route and status, with an
error status for 5xx answers and exceptions. The query string is left out: it
can carry credentials (``?api_key=``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, StatusCode

__all__ = ["ServerSpanMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = Iterable[tuple[bytes, bytes]]

INSTRUMENTATION_NAME = "orgair_observability.server_span"


class _RawHeadersGetter(Getter[RawHeaders]):
    """Reads the ASGI header list as it is (lower-case byte names), without building
    a headers object per request."""

    def get(self, carrier: RawHeaders, key: str) -> list[str] | None:
        name = key.lower().encode("latin-1")
        values = [value.decode("latin-1") for header, value in carrier if header == name]
        if not values:
            return None
        if name == b"baggage":
            # The baggage propagator reads only the first value.
            return [",".join(values)]
        return values

    def keys(self, carrier: RawHeaders) -> list[str]:
        return [header.decode("latin-1") for header, _ in carrier]


_GETTER = _RawHeadersGetter()


class ServerSpanMiddleware:
    """Pure ASGI: one SERVER span per HTTP request, named ``<METHOD> <route>``.

    `route_for(path)` gives the low-cardinality route template (``/api/v1/{path}``).
    """

    def __init__(self, app: ASGIApp, *, route_for: Callable[[str], str]) -> None:
        self.app = app
        self.route_for = route_for
        self._provider: trace.TracerProvider | None = None
        self._tracer: trace.Tracer | None = None

    def _current_tracer(self) -> trace.Tracer:
        # The global provider can be set after this app is built: look it up per request,
        # make the tracer once per provider.
        provider = trace.get_tracer_provider()
        if provider is not self._provider or self._tracer is None:
            self._tracer = provider.get_tracer(INSTRUMENTATION_NAME)
            self._provider = provider
        return self._tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        route = self.route_for(path)
        parent = propagate.extract(scope["headers"], getter=_GETTER)
        span = self._current_tracer().start_span(
            f"{method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.scheme": scope.get("scheme", "http"),
                "url.path": path,
                "http.route": route,
                "network.protocol.version": scope.get("http_version", "1.1"),
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        status: int | None = None

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR)
            raise
        else:
            if status is None:
                span.set_attribute("error.type", "incomplete_response")
                span.set_status(StatusCode.ERROR)
            elif status >= 500:
                span.set_attribute("error.type", str(status))
                span.set_status(StatusCode.ERROR)
        finally:
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            span.end()
            otel_context.detach(token)
