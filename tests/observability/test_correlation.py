"""CorrelationIdMiddleware: accept or generate, echo, bind into logs, never leak."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from orgair_observability import (
    CORRELATION_HEADER,
    CorrelationIdMiddleware,
    get_correlation_id,
    get_logger,
)
from orgair_observability.correlation import is_well_formed_correlation_id

from .conftest import LogLines

MakeClient = Callable[[FastAPI], httpx.AsyncClient]


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        get_logger("tests.handler").info("handling_whoami")
        return {
            "context": get_correlation_id(),
            "state": request.state.correlation_id,
        }

    app.add_middleware(CorrelationIdMiddleware)
    return app


def is_generated_id(value: str) -> bool:
    return len(value) == 32 and all(char in "0123456789abcdef" for char in value)


@pytest.mark.parametrize(
    "candidate",
    ["req-20250101-abcdef", "0123456789abcdef0123456789abcdef", "a.b_c:d-e", "x" * 128],
)
async def test_well_formed_id_is_accepted_and_echoed(
    candidate: str, make_client: MakeClient, log_lines: LogLines
) -> None:
    client = make_client(build_app())
    response = await client.get("/whoami", headers={CORRELATION_HEADER: candidate})

    assert response.status_code == 200
    assert response.headers[CORRELATION_HEADER] == candidate
    assert response.json() == {"context": candidate, "state": candidate}
    handler_line, access_line = log_lines()
    assert handler_line["event"] == "handling_whoami"
    assert handler_line["correlation_id"] == candidate
    assert access_line["correlation_id"] == candidate


@pytest.mark.parametrize(
    "candidate",
    [
        "has spaces in it",
        "x" * 500,
        "x" * 129,
        "short",
        "-starts-with-dash",
        "semi;colon;value",
        "",
    ],
)
async def test_malformed_id_is_replaced(
    candidate: str, make_client: MakeClient, log_lines: LogLines
) -> None:
    client = make_client(build_app())
    response = await client.get("/whoami", headers={CORRELATION_HEADER: candidate})

    generated = response.headers[CORRELATION_HEADER]
    assert generated != candidate
    assert is_generated_id(generated)
    assert response.json()["context"] == generated
    assert all(line["correlation_id"] == generated for line in log_lines())


def test_trailing_newline_is_not_well_formed() -> None:
    # `re.match` with `$` would accept this; the header value must match exactly.
    assert not is_well_formed_correlation_id("abcdefgh\n")
    assert is_well_formed_correlation_id("abcdefgh")


async def test_missing_header_gets_a_generated_id(make_client: MakeClient) -> None:
    client = make_client(build_app())
    response = await client.get("/whoami")

    assert is_generated_id(response.headers[CORRELATION_HEADER])


async def test_id_does_not_leak_into_the_next_request(
    make_client: MakeClient, log_lines: LogLines
) -> None:
    client = make_client(build_app())
    first = await client.get("/whoami", headers={CORRELATION_HEADER: "first-request-id"})
    # ASGITransport runs the app in this very task: a binding that is not reset
    # would still be visible here.
    assert get_correlation_id() is None
    get_logger("tests.between").info("between_requests")
    second = await client.get("/whoami")

    assert first.json()["context"] == "first-request-id"
    second_id = second.json()["context"]
    assert second_id != "first-request-id"
    assert second.headers[CORRELATION_HEADER] == second_id
    between = [line for line in log_lines() if line["event"] == "between_requests"]
    assert between[0]["correlation_id"] is None


async def test_existing_context_is_restored_after_the_request(make_client: MakeClient) -> None:
    structlog.contextvars.bind_contextvars(correlation_id="outer-context-id")
    try:
        client = make_client(build_app())
        response = await client.get("/whoami")
        assert response.json()["context"] != "outer-context-id"
        assert get_correlation_id() == "outer-context-id"
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")


async def test_access_log_line(make_client: MakeClient, log_lines: LogLines) -> None:
    client = make_client(build_app())
    await client.get(
        "/whoami?api_key=should-not-be-logged", headers={CORRELATION_HEADER: "access-log-1"}
    )
    await client.post("/nowhere", headers={CORRELATION_HEADER: "access-log-2"})

    access = [line for line in log_lines() if line["event"] == "request_completed"]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [
        ("GET", "/whoami", 200),
        ("POST", "/nowhere", 404),
    ]
    assert [line["correlation_id"] for line in access] == ["access-log-1", "access-log-2"]
    assert all(
        isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0 for line in access
    )
    assert "should-not-be-logged" not in str(log_lines())


async def test_header_set_by_the_app_is_replaced_not_duplicated(make_client: MakeClient) -> None:
    app = FastAPI()

    @app.get("/")
    async def root() -> Any:
        return JSONResponse({}, headers={CORRELATION_HEADER: "inner-value-123"})

    app.add_middleware(CorrelationIdMiddleware)
    response = await make_client(app).get("/", headers={CORRELATION_HEADER: "outer-value-123"})

    assert response.headers.get_list(CORRELATION_HEADER) == ["outer-value-123"]


async def test_request_failed_when_the_app_raises_before_responding(log_lines: LogLines) -> None:
    async def broken_app(scope: Scope, receive: Receive, send: Send) -> None:
        get_logger("tests.broken").info("about_to_fail")
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=CorrelationIdMiddleware(broken_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with pytest.raises(RuntimeError, match="boom"):
            await client.get("/explode", headers={CORRELATION_HEADER: "failing-request-1"})

    about_to_fail, failed = log_lines()
    assert about_to_fail["correlation_id"] == "failing-request-1"
    assert failed["event"] == "request_failed"
    assert failed["level"] == "error"
    assert (failed["method"], failed["path"], failed["status"]) == ("GET", "/explode", 500)
    assert failed["error_type"] == "RuntimeError"
    assert failed["correlation_id"] == "failing-request-1"
    assert "request_completed" not in [line["event"] for line in log_lines()]
    assert get_correlation_id() is None


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
async def test_non_http_scopes_pass_through_untouched(scope_type: str, log_lines: LogLines) -> None:
    seen: list[Scope] = []
    sent: list[Message] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "marker"})

    async def receive() -> Message:
        return {"type": f"{scope_type}.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": scope_type, "headers": [(b"x-correlation-id", b"ignored-for-non-http")]}
    await CorrelationIdMiddleware(inner)(scope, receive, send)

    assert seen == [scope]
    assert "state" not in scope
    assert sent == [{"type": "marker"}]
    assert log_lines() == []


def test_get_correlation_id_follows_bind_unbind_and_clear() -> None:
    assert get_correlation_id() is None
    structlog.contextvars.bind_contextvars(correlation_id="bound-correlation-1")
    assert get_correlation_id() == "bound-correlation-1"
    structlog.contextvars.unbind_contextvars("correlation_id")
    assert get_correlation_id() is None
    structlog.contextvars.bind_contextvars(correlation_id="bound-correlation-2")
    structlog.contextvars.clear_contextvars()
    assert get_correlation_id() is None
    structlog.contextvars.bind_contextvars(correlation_id=12345)  # not a string: no id
    try:
        assert get_correlation_id() is None
    finally:
        structlog.contextvars.clear_contextvars()
