"""Tracing: ids in log lines, continued W3C traces, and real OTLP/HTTP export."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orgair_observability import CorrelationIdMiddleware, configure_tracing, get_logger
from orgair_observability.tracing import otlp_traces_url

from .conftest import LogLines

MakeClient = Callable[[FastAPI], httpx.AsyncClient]


@pytest.fixture
def span_exporter() -> Iterator[InMemorySpanExporter]:
    """The process's provider (configured once, as in a service) with an in-memory exporter."""
    provider = configure_tracing(
        service="pe-orgair-observability-tests",
        version="0.0.0",
        environment="development",
        otlp_endpoint=None,
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    # A provider cannot drop a processor; a stopped exporter ignores later spans.
    exporter.shutdown()


def test_configure_tracing_is_idempotent(span_exporter: InMemorySpanExporter) -> None:
    first = trace.get_tracer_provider()
    again = configure_tracing(
        service="other-name", version="9", environment="production", otlp_endpoint=None
    )

    assert isinstance(first, TracerProvider)
    assert again is first


def test_sample_ratio_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="sample_ratio"):
        configure_tracing(
            service="x", version="1", environment="development", otlp_endpoint=None, sample_ratio=2
        )


def test_log_line_inside_a_span_carries_its_ids(
    span_exporter: InMemorySpanExporter, log_lines: LogLines
) -> None:
    with trace.get_tracer("tests.tracing").start_as_current_span("score_company"):
        get_logger("tests.tracing").info("inside_span")
    get_logger("tests.tracing").info("outside_span")

    [span] = span_exporter.get_finished_spans()
    inside, outside = log_lines()
    assert inside["trace_id"] == format(span.context.trace_id, "032x")
    assert inside["span_id"] == format(span.context.span_id, "016x")
    assert (outside["trace_id"], outside["span_id"]) == (None, None)


async def test_request_continues_the_callers_trace(
    span_exporter: InMemorySpanExporter, log_lines: LogLines, make_client: MakeClient
) -> None:
    caller_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller_span_id = "00f067aa0ba902b7"
    app = FastAPI()

    @app.get("/traced")
    async def traced() -> dict[str, str]:
        get_logger("tests.handler").info("in_handler")
        return {}

    app.add_middleware(CorrelationIdMiddleware)
    response = await make_client(app).get(
        "/traced", headers={"traceparent": f"00-{caller_trace_id}-{caller_span_id}-01"}
    )

    assert response.status_code == 200
    server_spans = [
        span for span in span_exporter.get_finished_spans() if span.kind == trace.SpanKind.SERVER
    ]
    [server_span] = server_spans
    assert format(server_span.context.trace_id, "032x") == caller_trace_id
    assert server_span.parent is not None
    assert format(server_span.parent.span_id, "016x") == caller_span_id
    handler_line, access_line = log_lines()
    assert handler_line["trace_id"] == caller_trace_id
    assert access_line["event"] == "request_completed"
    assert access_line["trace_id"] == caller_trace_id


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("http://collector:4318/v1/traces", "http://collector:4318/v1/traces"),
        ("https://otel.example/base", "https://otel.example/base/v1/traces"),
    ],
)
def test_otlp_traces_url(endpoint: str, url: str) -> None:
    assert otlp_traces_url(endpoint) == url


class _CollectorStub:
    """A tiny OTLP/HTTP receiver: records every POST, answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                received.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def collector() -> Iterator[_CollectorStub]:
    stub = _CollectorStub()
    stub.thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


# Runs in a fresh interpreter: a process sets its global provider once, and this
# one has to export over HTTP, which the test process's provider does not.
EXPORTING_PROCESS = textwrap.dedent(
    """
    import sys
    from opentelemetry import trace
    from orgair_observability import configure_logging, configure_tracing, shutdown_tracing

    configure_logging(service="exporter-test", stream=sys.stderr)
    configure_tracing(
        service="pe-orgair-exporter-test",
        version="1.2.3",
        environment="staging",
        otlp_endpoint=sys.argv[1],
    )
    with trace.get_tracer("exporter-test").start_as_current_span("exported_span"):
        pass
    shutdown_tracing()
    print("shutdown_done", flush=True)
    sys.stdin.readline()  # stay alive until the test has looked at the collector
    """
)


def test_spans_reach_an_otlp_http_collector_after_shutdown(collector: _CollectorStub) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    process = subprocess.Popen(
        [sys.executable, "-c", EXPORTING_PROCESS, collector.endpoint],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        marker = process.stdout.readline().strip()
        # Recorded before the process exits: `shutdown_tracing` flushed it, not
        # the SDK's exit hook or the batch timer.
        received = list(collector.requests)
        process.stdin.write("\n")
        process.stdin.flush()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""

    assert marker == "shutdown_done", stderr
    [(path, content_type, body)] = received
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    export = ExportTraceServiceRequest()
    export.ParseFromString(body)
    [resource_spans] = export.resource_spans
    attributes = {item.key: item.value.string_value for item in resource_spans.resource.attributes}
    assert attributes["service.name"] == "pe-orgair-exporter-test"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["deployment.environment"] == "staging"
    span_names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert span_names == ["exported_span"]
