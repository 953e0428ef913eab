"""An OTLP/HTTP receiver that prints each span it receives as one JSON line.

The stand-in for the OpenTelemetry collector in the locally built stack: services
export to it exactly as to the collector (POST /v1/traces, /v1/metrics, /v1/logs,
protobuf, optionally gzip), it answers as the collector does (an empty export
response), and every span becomes a line on stdout:

    {"event": "span_received", "service": "pe-orgair-gateway", "trace_id": "...",
     "span_id": "...", "parent_span_id": "...", "name": "GET /api/v2/..."}

so a test (or a person) reads what arrived with `docker compose logs otel-collector`.
GET / answers 200 for the healthcheck.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

RESPONSES = {
    "/v1/traces": ExportTraceServiceResponse,
    "/v1/metrics": ExportMetricsServiceResponse,
    "/v1/logs": ExportLogsServiceResponse,
}
MAX_BODY = 16 * 1024 * 1024


def span_lines(body: bytes) -> list[str]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    lines = []
    for resource_spans in request.resource_spans:
        attributes = {a.key: a.value for a in resource_spans.resource.attributes}
        service = attributes["service.name"].string_value if "service.name" in attributes else ""
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                record = {
                    "event": "span_received",
                    "service": service,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                }
                lines.append(json.dumps(record, sort_keys=True))
    return lines


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._reply(200, b"", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        response = RESPONSES.get(self.path)
        if response is None or length > MAX_BODY:
            self._reply(404 if response is None else 413, b"", "text/plain")
            return
        body = self.rfile.read(length)
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                lines = span_lines(body)
                if lines:
                    sys.stdout.write("\n".join(lines) + "\n")
        except (OSError, EOFError, DecodeError) as exc:
            sys.stdout.write(
                json.dumps({"event": "export_rejected", "error": type(exc).__name__}) + "\n"
            )
            self._reply(400, b"", "text/plain")
            return
        self._reply(200, response().SerializeToString(), "application/x-protobuf")

    def _reply(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


def main() -> None:
    port = int(os.environ.get("OTLP_HTTP_PORT", "4318"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104 (inside its container)
    sys.stdout.write(json.dumps({"event": "receiver_listening", "port": port}) + "\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
