"""The reverse proxy against a real upstream: streaming, failures, limits, headers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from orgair_auth import Role
from orgair_config import Settings
from tests.gateway.conftest import IssueKey
from tests.gateway.support import FakeUpstream, ThreadedServer
from tests.support.servers import free_port

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def analyst(issue_key: IssueKey) -> dict[str, str]:
    return {"X-API-Key": issue_key(Role.ANALYST).key}


@pytest.fixture
def start_gateway(gateway_settings: Callable[..., Settings]) -> Iterator[Callable[..., str]]:
    """`start_gateway(**settings)`: a gateway with these settings; returns its base URL."""
    from orgair_gateway.app import create_app

    servers: list[ThreadedServer] = []

    def start(**overrides: object) -> str:
        settings = gateway_settings(**overrides)
        server = ThreadedServer(create_app(settings), settings=settings).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def upstream_of(fake: tuple[FakeUpstream, ThreadedServer]) -> FakeUpstream:
    return fake[0]


def test_large_response_is_streamed_not_buffered(
    gateway: ThreadedServer, fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    upstream = upstream_of(fake_upstream)
    total = 0
    first_chunk_at: float | None = None
    with httpx.stream("GET", f"{gateway.url}/api/v1/stream", headers=analyst, timeout=30) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            if first_chunk_at is None:
                first_chunk_at = time.monotonic()
                # Only now does the upstream produce the other 127 chunks: the first
                # one reached us while the upstream response was still unfinished.
                upstream.release_stream.set()
            total += len(chunk)
    assert total == FakeUpstream.STREAM_CHUNK * FakeUpstream.STREAM_CHUNKS


def test_request_body_is_streamed_to_the_upstream(
    gateway: ThreadedServer, fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    def body() -> Iterator[bytes]:
        for _ in range(8):
            yield b"x" * 65536

    # No Content-Length: the body goes out chunked, and still arrives whole.
    response = httpx.post(f"{gateway.url}/api/v1/echo", content=body(), headers=analyst)
    assert response.status_code == 200, response.text
    assert response.json()["body_length"] == 8 * 65536


def test_upstream_down_is_502(start_gateway: Callable[..., str], analyst: dict[str, str]) -> None:
    base = start_gateway(SCORING_URL=f"http://127.0.0.1:{free_port()}")
    response = httpx.get(f"{base}/api/v1/echo", headers=analyst, timeout=10)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/bad-gateway")
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["scoring"]["status"] == "unhealthy"


def test_slow_upstream_is_504_within_the_read_timeout(
    start_gateway: Callable[..., str], fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    upstream_of(fake_upstream).slow_seconds = 10
    # (job event streams keep alive faster than the read timeout; settings insist)
    base = start_gateway(GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS=0.5, JOB_SSE_KEEPALIVE_SECONDS=0.2)
    started = time.monotonic()
    response = httpx.get(f"{base}/api/v1/slow", headers=analyst, timeout=10)
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["type"].endswith("/gateway-timeout")
    assert 0.5 <= elapsed < 2.5


def test_exhausted_pool_is_503(
    start_gateway: Callable[..., str], fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    upstream_of(fake_upstream).slow_seconds = 2
    base = start_gateway(GATEWAY_UPSTREAM_POOL_SIZE=1, GATEWAY_UPSTREAM_POOL_TIMEOUT_SECONDS=0.2)
    holder = threading.Thread(
        target=lambda: httpx.get(f"{base}/api/v1/slow", headers=analyst, timeout=10)
    )
    holder.start()
    time.sleep(0.5)  # the slow request now holds the only connection
    try:
        started = time.monotonic()
        response = httpx.get(f"{base}/api/v1/echo", headers=analyst, timeout=10)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert time.monotonic() - started < 1.5
    finally:
        holder.join()
    assert httpx.get(f"{base}/api/v1/echo", headers=analyst).status_code == 200


def test_body_over_the_limit_is_413(
    gateway: ThreadedServer, fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    # Past the default limit (GATEWAY_MAX_BODY_BYTES, 11 MiB: room for an evidence upload).
    over_limit = b"x" * (12 * 1024 * 1024)
    declared = httpx.post(f"{gateway.url}/api/v1/echo", content=over_limit, headers=analyst)
    assert declared.status_code == 413
    assert declared.json()["type"].endswith("/content-too-large")

    def chunked() -> Iterator[bytes]:
        for _ in range(12 * 16):  # 12 MiB in 64 KiB chunks
            yield b"x" * 65536

    streamed = httpx.post(f"{gateway.url}/api/v1/echo", content=chunked(), headers=analyst)
    assert streamed.status_code == 413
    assert upstream_of(fake_upstream).requests == []  # neither reached the handler
    assert (
        httpx.post(f"{gateway.url}/api/v1/echo", content=b"x" * 1000, headers=analyst).json()[
            "body_length"
        ]
        == 1000
    )


def test_hop_by_hop_headers_are_stripped_both_ways(
    gateway: ThreadedServer, fake_upstream: tuple[FakeUpstream, ThreadedServer],
    analyst: dict[str, str],
) -> None:  # fmt: skip
    response = httpx.get(
        f"{gateway.url}/api/v1/echo",
        headers={
            **analyst,
            "Connection": "keep-alive, X-Client-Hop",
            "X-Client-Hop": "only-for-the-gateway",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "TE": "trailers",
            "X-End-To-End": "kept",
        },
    )
    assert response.status_code == 200
    seen = {name for name, _ in response.json()["headers"]}
    for name in ("x-client-hop", "keep-alive", "proxy-authorization", "te", "x-api-key",
                 "authorization"):  # fmt: skip
        assert name not in seen, name
    assert "x-end-to-end" in seen

    hop = httpx.get(f"{gateway.url}/api/v1/hop", headers=analyst)
    assert hop.status_code == 200
    for name in ("x-upstream-hop", "keep-alive", "proxy-authenticate"):
        assert name not in hop.headers, name
    assert hop.headers["x-end-to-end"] == "kept"
    assert "x-upstream-hop" not in hop.headers.get("connection", "").lower()


def test_forwarded_correlation_trace_and_identity_headers(
    gateway: ThreadedServer, fake_upstream: tuple[FakeUpstream, ThreadedServer],
    issue_key: IssueKey,
) -> None:  # fmt: skip
    issued = issue_key(Role.REVIEWER)
    response = httpx.get(
        f"{gateway.url}/api/v1/echo?page=2&q=a%20b",
        headers={
            "Authorization": f"Bearer {issued.key}",
            "X-Correlation-ID": "corr-0123456789",
            "traceparent": TRACEPARENT,
            "X-Forwarded-For": "203.0.113.9",
            "X-Orgair-Role": "admin",  # a caller cannot inject an identity
        },
    )
    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == "corr-0123456789"
    seen = dict(response.json()["headers"])
    assert seen["x-correlation-id"] == "corr-0123456789"
    # Same trace, with the gateway's span as the parent when it traces.
    assert seen["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-orgair-role"] == "reviewer"
    assert seen["x-orgair-key-id"] == str(issued.record.id)
    assert seen["x-orgair-signature"].startswith("v2=")
    assert len(seen["x-orgair-nonce"]) == 32
    assert response.json()["query"] == "page=2&q=a%20b"


def test_rate_limit_headers_and_security_headers_on_responses(
    gateway: ThreadedServer, analyst: dict[str, str]
) -> None:
    response = httpx.get(f"{gateway.url}/api/v1/echo", headers=analyst)
    assert response.headers["ratelimit-policy"] == '"per-key";q=1000;w=60'
    assert response.headers["ratelimit"].startswith('"per-key";r=999;t=')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain HTTP here
    https = httpx.get(f"{gateway.url}/livez", headers={"X-Forwarded-Proto": "https"})
    assert https.status_code == 200


def test_a_location_naming_the_upstream_becomes_a_path(
    gateway: ThreadedServer, analyst: dict[str, str]
) -> None:
    response = httpx.get(f"{gateway.url}/api/v1/redirect", headers=analyst)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/echo?a=1"
    # Other addresses pass untouched.
    assert response.headers["content-location"] == "https://reports.example.com/r/1?sig=abc"
    # A trailing slash reaches the upstream as sent; the gateway's own paths do not redirect.
    assert httpx.get(f"{gateway.url}/admin/keys/", headers=analyst).status_code == 404
