"""Fixtures for the observability tests: captured JSON log lines and small FastAPI apps."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orgair_observability import configure_logging

LogLines = Callable[[], list[dict[str, Any]]]

# The test's own HTTP client and event loop log too; those lines are not under test.
TEST_HARNESS_LOGGERS = frozenset({"httpx", "httpcore", "asyncio"})


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging configured (JSON, DEBUG) into a buffer; the handler is removed afterwards
    so that later tests do not keep writing into it."""
    stream = io.StringIO()
    root = logging.getLogger()
    previous_level = root.level
    configure_logging(service="test-service", level="DEBUG", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if getattr(handler, "stream", None) is stream:
            root.removeHandler(handler)
    root.setLevel(previous_level)


@pytest.fixture
def log_lines(log_stream: io.StringIO) -> LogLines:
    """Every line written so far, each parsed as JSON (a line that is not JSON fails
    the test), leaving out the test harness's own lines."""

    def read() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
        return [line for line in lines if line.get("logger") not in TEST_HARNESS_LOGGERS]

    return read


def client_for(app: FastAPI) -> httpx.AsyncClient:
    # raise_app_exceptions=False: Starlette re-raises an unhandled exception after
    # its 500 response is sent; a real server logs it, the test wants the response.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[FastAPI], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(app: FastAPI) -> httpx.AsyncClient:
        client = client_for(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
