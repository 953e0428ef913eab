"""ServerSpanMiddleware: one SERVER span per request routed outside the framework."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import Receive, Scope, Send

from orgair_observability import configure_tracing, get_logger
from orgair_observability.server_span import ServerSpanMiddleware

from .conftest import LogLines

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = configure_tracing(
        service="pe-orgair-observability-tests",
        version="0.0.0",
        environment="development",
        otlp_endpoint=None,
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def answering(status: int):  # type: ignore[no-untyped-def]
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_logger("tests.span").info("inside")
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def call(app, path: str = "/api/v1/companies/42?api_key=secret", **headers: str):  # type: ignore[no-untyped-def]
    wrapped = ServerSpanMiddleware(app, route_for=lambda path: "/api/v1/{path}")
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


async def test_one_server_span_continuing_the_callers_trace(
    spans: InMemorySpanExporter, log_lines: LogLines
) -> None:
    response = await call(answering(200), traceparent=f"00-{CALLER_TRACE}-{CALLER_SPAN}-01")

    assert response.status_code == 200
    [span] = spans.get_finished_spans()
    assert span.kind == SpanKind.SERVER
    assert span.name == "GET /api/v1/{path}"
    assert format(span.context.trace_id, "032x") == CALLER_TRACE
    assert span.parent is not None and format(span.parent.span_id, "016x") == CALLER_SPAN
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.path"] == "/api/v1/companies/42"
    assert attributes["http.route"] == "/api/v1/{path}"
    assert attributes["http.response.status_code"] == 200
    assert "secret" not in str(attributes)  # no query string
    assert span.status.status_code == StatusCode.UNSET
    # Current while the request runs: the app's log line carries its ids.
    [line] = [line for line in log_lines() if line["event"] == "inside"]
    assert line["trace_id"] == CALLER_TRACE
    assert line["span_id"] == format(span.context.span_id, "016x")


async def test_a_new_trace_without_a_caller_context(spans: InMemorySpanExporter) -> None:
    await call(answering(204))

    [span] = spans.get_finished_spans()
    assert span.parent is None
    assert trace.get_current_span().get_span_context().is_valid is False  # detached after


async def test_5xx_and_exceptions_are_errors(spans: InMemorySpanExporter) -> None:
    await call(answering(502))

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await call(failing)

    bad_gateway, failed = spans.get_finished_spans()
    assert bad_gateway.status.status_code == StatusCode.ERROR
    assert (bad_gateway.attributes or {})["error.type"] == "502"
    assert failed.status.status_code == StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "RuntimeError"
    assert "http.response.status_code" not in (failed.attributes or {})


async def test_other_scopes_pass_through(spans: InMemorySpanExporter) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> dict[str, str]:
        return {"type": "lifespan.startup"}

    async def send(message: object) -> None:
        return None

    middleware = ServerSpanMiddleware(app, route_for=lambda path: path)
    await middleware({"type": "lifespan"}, receive, send)

    assert seen == ["lifespan"]
    assert spans.get_finished_spans() == ()
