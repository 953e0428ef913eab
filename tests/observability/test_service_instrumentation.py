"""The scoring service's spans: one trace per request, with its SQL and Redis calls in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.api.helpers import V1, create_company


@pytest.fixture
def spans(client: TestClient) -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)  # installed by the app's setup_service
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    # A provider cannot drop a processor; a stopped exporter quietly ignores later spans.
    exporter.shutdown()


def test_request_span_contains_database_and_cache_spans(
    client: TestClient, spans: InMemorySpanExporter
) -> None:
    subject = create_company(client)
    spans.clear()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = client.get(f"{V1}/companies/{subject['id']}", headers={"traceparent": traceparent})
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    trace_ids = {format(span.context.trace_id, "032x") for span in finished}
    assert trace_ids == {"0af7651916cd43dd8448eb211c80319c"}  # continued the caller's trace
    kinds = {span.attributes.get("db.system") for span in finished if span.attributes}
    assert "sqlite" in kinds  # SQLAlchemy instrumentation
    assert "redis" in kinds  # Redis instrumentation (the cache-aside read)
