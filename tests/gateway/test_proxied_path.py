"""Proxied requests bypass FastAPI: one span of the gateway's own, the same answers on
failure, and FastAPI still serves (and traces) the gateway's own endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from orgair_auth import Role
from orgair_config import Settings
from orgair_observability import configure_tracing
from tests.gateway.conftest import IssueKey
from tests.gateway.support import FakeUpstream, ThreadedServer, captured_log_lines

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = configure_tracing(
        service="pe-orgair-gateway-tests",
        version="0.0.0",
        environment="development",
        otlp_endpoint=None,
    )
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
def analyst(issue_key: IssueKey) -> dict[str, str]:
    return {"X-API-Key": issue_key(Role.ANALYST).key}


def test_a_proxied_request_has_one_server_span_and_scoring_continues_it(
    gateway: ThreadedServer,
    fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
    spans: InMemorySpanExporter,
) -> None:
    response = httpx.get(
        f"{gateway.url}/api/v1/echo", headers={**analyst, "traceparent": TRACEPARENT}
    )

    assert response.status_code == 200
    in_trace = [
        span
        for span in spans.get_finished_spans()
        if format(span.context.trace_id, "032x") == CALLER_TRACE
    ]
    [server] = [span for span in in_trace if span.kind == SpanKind.SERVER]
    assert server.name == "GET /api/v1/{path}"
    assert server.instrumentation_scope is not None
    assert server.instrumentation_scope.name == "orgair_observability.server_span"
    assert (server.attributes or {})["http.response.status_code"] == 200
    # No FastAPI span beside it (client spans of instrumented libraries may be there).
    assert all(
        span.instrumentation_scope is None or span.instrumentation_scope.name != "fastapi"
        for span in in_trace
    )
    assert all(span.parent is not None for span in in_trace if span is not server)
    # Scoring's span becomes the child of the gateway's.
    forwarded = dict(response.json()["headers"])["traceparent"]
    assert forwarded.split("-")[1] == CALLER_TRACE
    assert forwarded.split("-")[2] == format(server.context.span_id, "016x")


def test_trace_state_and_baggage_reach_scoring_in_w3c_form(
    gateway: ThreadedServer, analyst: dict[str, str], spans: InMemorySpanExporter
) -> None:
    response = httpx.get(
        f"{gateway.url}/api/v1/echo",
        headers={
            **analyst,
            "traceparent": TRACEPARENT,
            "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
            "baggage": "tenant=acme",
        },
    )

    [server] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    seen = response.json()["headers"]
    assert [v for k, v in seen if k == "traceparent"] == [
        f"00-{CALLER_TRACE}-{server.context.span_id:016x}-01"
    ]
    assert [v for k, v in seen if k == "tracestate"] == ["congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"]
    assert [v for k, v in seen if k == "baggage"] == ["tenant=acme"]  # once, as sent


def test_the_gateways_own_endpoints_still_go_through_fastapi(
    gateway: ThreadedServer, issue_key: IssueKey, spans: InMemorySpanExporter
) -> None:
    admin = {"X-API-Key": issue_key(Role.ADMIN).key, "traceparent": TRACEPARENT}
    assert httpx.get(f"{gateway.url}/admin/keys", headers=admin).status_code == 200

    [server] = [
        span
        for span in spans.get_finished_spans()
        if span.kind == SpanKind.SERVER and format(span.context.trace_id, "032x") == CALLER_TRACE
    ]
    assert server.instrumentation_scope is not None
    assert server.instrumentation_scope.name == "fastapi"
    assert server.name == "GET /admin/keys"


def test_an_unexpected_error_is_a_500_problem_and_the_gateway_keeps_serving(
    gateway_settings: Callable[..., Settings], analyst: dict[str, str]
) -> None:
    from orgair_gateway.app import create_app

    app = create_app(gateway_settings())
    proxy = app.state.runtime.proxy
    original = proxy._upstream_headers
    failures = [True]

    def broken(*args: object, **kwargs: object) -> object:
        if failures and failures.pop():
            raise RuntimeError("internal detail that must not leak")
        return original(*args, **kwargs)

    proxy._upstream_headers = broken
    server = ThreadedServer(app).start()
    try:
        with captured_log_lines() as lines:
            failed = httpx.get(
                f"{server.url}/api/v1/echo",
                headers={**analyst, "X-Correlation-ID": "proxied-failure-1"},
            )
        assert failed.status_code == 500
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.headers["x-correlation-id"] == "proxied-failure-1"
        body = failed.json()
        assert body["correlation_id"] == "proxied-failure-1"
        assert "internal detail" not in failed.text
        assert httpx.get(f"{server.url}/api/v1/echo", headers=analyst).status_code == 200
    finally:
        server.stop()
    logged = "\n".join(lines)
    assert '"event":"request_failed"' in logged
    assert '"event":"unhandled_exception"' in logged


def test_paths_that_only_share_a_prefix_are_not_proxied(
    gateway: ThreadedServer,
    analyst: dict[str, str],
    fake_upstream: tuple[FakeUpstream, ThreadedServer],
) -> None:
    upstream = fake_upstream[0]
    response = httpx.get(f"{gateway.url}/api/v10/echo", headers=analyst)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert upstream.requests == []
