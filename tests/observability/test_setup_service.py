"""setup_service: one call wires logging, secret scrubbing, tracing, problems and correlation."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from starlette.middleware.gzip import GZipMiddleware

from orgair_config import Settings
from orgair_observability import (
    CORRELATION_HEADER,
    CorrelationIdMiddleware,
    get_logger,
    setup_service,
)
from orgair_observability.metrics import MetricsMiddleware
from orgair_observability.service import secret_values

MakeClient = Callable[[FastAPI], httpx.AsyncClient]
StartCapture = Callable[[], io.StringIO]


@pytest.fixture
def stderr_buffer(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartCapture]:
    """Call it inside the test to capture what `configure_logging` writes to stderr
    (its default stream). Patching in the fixture itself would not last: pytest
    installs its own capture on `sys.stderr` when the test body starts."""
    buffers: list[io.StringIO] = []

    def start() -> io.StringIO:
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stderr", buffer)
        buffers.append(buffer)
        return buffer

    root = logging.getLogger()
    previous_level = root.level
    yield start
    for handler in list(root.handlers):
        if any(getattr(handler, "stream", None) is buffer for buffer in buffers):
            root.removeHandler(handler)
    root.setLevel(previous_level)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SECRET_KEY": f"signing-key-{uuid.uuid4().hex}",
        "REDIS_URL": f"redis://:redis-{uuid.uuid4().hex}@127.0.0.1:6379/0",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "DEBUG": False,
        "OTEL_EXPORTER_OTLP_ENDPOINT": None,
        **overrides,
    }
    # _env_file=None: a developer's .env must not change what the test sees.
    return Settings(_env_file=None, **values)


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("hidden internal message")

    return app


def lines_of(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_setup_service_wires_everything(
    stderr_buffer: StartCapture, make_client: MakeClient
) -> None:
    output = stderr_buffer()
    settings = make_settings()
    app = build_app()
    setup_service(app, settings, service="gateway")

    response = await make_client(app).get("/missing", headers={CORRELATION_HEADER: "setup-test-01"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers[CORRELATION_HEADER] == "setup-test-01"
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    [access] = [line for line in lines_of(output) if line["event"] == "request_completed"]
    assert access["service"] == "gateway"
    assert access["correlation_id"] == "setup-test-01"


async def test_500_detail_follows_the_debug_setting(
    stderr_buffer: StartCapture, make_client: MakeClient
) -> None:
    stderr_buffer()
    quiet, verbose = build_app(), build_app()
    setup_service(quiet, make_settings(DEBUG=False), service="scoring")
    setup_service(verbose, make_settings(DEBUG=True), service="scoring")

    quiet_response = await make_client(quiet).get("/boom")
    verbose_response = await make_client(verbose).get("/boom")

    assert quiet_response.status_code == verbose_response.status_code == 500
    assert "hidden internal message" not in quiet_response.text
    assert "hidden internal message" in verbose_response.json()["detail"]


def test_settings_secrets_are_scrubbed_from_log_lines(
    stderr_buffer: StartCapture,
) -> None:
    buffer = stderr_buffer()
    settings = make_settings()
    setup_service(build_app(), settings, service="worker")
    signing_key = settings.SECRET_KEY.get_secret_value()
    redis_password = settings.REDIS_URL.split(":")[2].split("@")[0]

    get_logger("tests.setup").info("oops", note=f"{signing_key} / {redis_password}")

    output = buffer.getvalue()
    assert signing_key not in output
    assert redis_password not in output
    assert "*** / ***" in output


def test_secret_values_lists_secretstr_fields_and_url_passwords() -> None:
    settings = make_settings(OPENAI_API_KEY="sk-test-openai-0123456789")
    values = set(secret_values(settings))

    assert settings.SECRET_KEY.get_secret_value() in values
    assert "sk-test-openai-0123456789" in values
    assert settings.REDIS_URL.split(":")[2].split("@")[0] in values
    assert settings.APP_NAME not in values


def test_correlation_middleware_is_outermost_and_added_once(
    stderr_buffer: StartCapture,
) -> None:
    stderr_buffer()
    app = build_app()
    app.add_middleware(GZipMiddleware)
    settings = make_settings()
    setup_service(app, settings, service="gateway")
    setup_service(app, settings, service="gateway")

    classes: list[object] = [entry.cls for entry in app.user_middleware]
    assert classes == [CorrelationIdMiddleware, MetricsMiddleware, GZipMiddleware]
