"""The server layer every service runs (`server_options`), driven over raw sockets:
slow and oversized request heads are cut, and what the server itself refuses is a
problem document, not uvicorn's text/plain."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgair_config import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.gateway.support import ThreadedServer, serving

HEADER_TIMEOUT = 1.0


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"method": request.method, "length": len(body)})


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SECRET_KEY": TEST_SECRET_KEY,
        "HTTP_HEADER_TIMEOUT_SECONDS": HEADER_TIMEOUT,
        "HTTP_MAX_HEADER_BYTES": 4096,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
    with serving(app, settings=settings()) as running:
        yield running


def connect(server: ThreadedServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def assert_problem(raw: bytes, status: int) -> dict[str, Any]:
    got, headers, body = parse(raw)
    assert got == status, raw
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert len(body) == int(headers["content-length"])
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == status
    assert problem["correlation_id"] == headers["x-correlation-id"]
    return problem


def test_a_head_sent_one_byte_at_a_time_is_cut(server: ThreadedServer) -> None:
    sock = connect(server)
    head = b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    sent = 0
    cut = False
    deadline = time.monotonic() + 30  # the client would go on for 200 * 0.1 s
    try:
        while sent < len(head) and time.monotonic() < deadline:
            sock.sendall(head[sent : sent + 1])
            sent += 1
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        cut = True
    raw = read_until_closed(sock)
    sock.close()
    # The server answered 408 and closed long before the head was complete.
    assert cut or sent < len(head)
    problem = assert_problem(raw, 408)
    assert "did not arrive within 1 seconds" in problem["detail"]


def test_a_connection_that_sends_nothing_is_closed(server: ThreadedServer) -> None:
    sock = connect(server)
    assert_problem(read_until_closed(sock), 408)
    sock.close()


def test_requests_on_a_kept_alive_connection_are_unaffected(server: ThreadedServer) -> None:
    sock = connect(server)
    for _ in range(3):
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while b"}" not in raw:
            raw += sock.recv(65536)
        assert parse(raw)[0] == 200
        # Idle between requests for longer than the head timeout (less than keep-alive).
        time.sleep(HEADER_TIMEOUT * 1.5)
    sock.close()


def test_conflicting_content_length_and_transfer_encoding_is_a_400_problem(
    server: ThreadedServer,
) -> None:
    sock = connect(server)
    sock.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    problem = assert_problem(read_until_closed(sock), 400)
    assert "not valid HTTP/1.1" in problem["detail"]
    sock.close()


def test_an_oversized_head_is_a_431_problem(server: ThreadedServer) -> None:
    sock = connect(server)
    try:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        for _ in range(10):
            sock.sendall(b"X-Filler: " + b"f" * 1000 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert_problem(read_until_closed(sock), 431)
    sock.close()


def test_a_large_body_after_a_small_head_is_not_counted_as_head(server: ThreadedServer) -> None:
    sock = connect(server)
    body = b"b" * 200_000
    sock.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, _, payload = parse(read_until_closed(sock))
    assert status == 200
    assert json.loads(payload)["length"] == len(body)
    sock.close()


def test_beyond_the_concurrency_limit_is_a_503_problem() -> None:
    app = Starlette(routes=[Route("/echo", echo)])
    with serving(app, settings=settings(HTTP_MAX_CONCURRENCY=2)) as running:
        holder = connect(running)  # one open connection, idle
        sock = connect(running)
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = read_until_closed(sock)
        problem = assert_problem(raw, 503)
        assert parse(raw)[1]["retry-after"] == "1"
        assert problem["instance"] == "/echo"
        holder.close()
        sock.close()
