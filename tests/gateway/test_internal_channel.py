"""The channel between gateway and the real scoring app, as someone on it sees it: a
relay records every request the gateway sends, and the recordings are replayed and
altered straight to scoring. Neither is accepted; and nothing the gateway answers
names scoring's own address."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from orgair_auth import Role
from orgair_config import Settings
from tests.api.helpers import MANUFACTURING
from tests.gateway.conftest import IssueKey
from tests.gateway.support import RecordingRelay, ThreadedServer, serving


@pytest.fixture
def scoring(migrated: Settings) -> Iterator[ThreadedServer]:
    from orgair_scoring_api.app import create_app

    with serving(create_app(migrated), settings=migrated) as server:
        yield server


@pytest.fixture
def relay(scoring: ThreadedServer) -> Iterator[RecordingRelay]:
    tap = RecordingRelay(scoring.port)
    yield tap
    tap.close()


@pytest.fixture
def gateway_via_relay(
    gateway_settings: Callable[..., Settings], relay: RecordingRelay
) -> Iterator[ThreadedServer]:
    from orgair_gateway.app import create_app

    settings = gateway_settings(SCORING_URL=relay.url)
    with serving(create_app(settings), settings=settings) as server:
        yield server


def send_raw(port: int, request: bytes) -> tuple[int, bytes]:
    """`request` as it was captured, to scoring directly; the status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # One request, then close (the captured one may ask for keep-alive).
        head, _, body = request.partition(b"\r\n\r\n")
        lines = [
            line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")
        ]
        sock.sendall(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


def with_body(request: bytes, body: bytes) -> bytes:
    head = request.partition(b"\r\n\r\n")[0]
    lines = [
        f"Content-Length: {len(body)}".encode() if line.lower().startswith(b"content-length:")
        else line
        for line in head.split(b"\r\n")
    ]  # fmt: skip
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_a_captured_request_cannot_be_replayed_or_altered(
    gateway_via_relay: ThreadedServer,
    relay: RecordingRelay,
    scoring: ThreadedServer,
    issue_key: IssueKey,
) -> None:
    analyst = {"X-API-Key": issue_key(Role.ANALYST).key}
    created = httpx.post(
        f"{gateway_via_relay.url}/api/v1/companies",
        json={"name": "Captured Co", "industry_id": MANUFACTURING},
        headers=analyst,
    )
    assert created.status_code == 201, created.text
    captured = relay.request(b"POST /api/v1/companies ")
    assert b"x-orgair-signature: v2=" in captured.lower()

    # The same request again, within the skew window: refused, nothing created.
    status, body = send_raw(scoring.port, captured)
    assert status == 401
    assert json.loads(body)["type"].endswith("/unauthorized")
    # Its signature on another body: refused.
    other = json.dumps({"name": "Forged Co", "industry_id": MANUFACTURING}).encode()
    assert send_raw(scoring.port, with_body(captured, other))[0] == 401

    listed = httpx.get(
        f"{gateway_via_relay.url}/api/v1/companies", headers=analyst, params={"page_size": 100}
    ).json()
    assert [item["name"] for item in listed["items"]] == ["Captured Co"]

    # A captured read is single-use too.
    assert (
        httpx.get(f"{gateway_via_relay.url}/api/v1/industries", headers=analyst).status_code == 200
    )
    assert send_raw(scoring.port, relay.request(b"GET /api/v1/industries "))[0] == 401


def test_no_answer_names_the_internal_address(
    gateway_via_relay: ThreadedServer, relay: RecordingRelay, issue_key: IssueKey
) -> None:
    viewer = {"X-API-Key": issue_key(Role.VIEWER).key}
    internal = f"127.0.0.1:{relay.port}"
    for path in ("/api/v1/industries/", "/api/v1/companies/", "/api/v2/funds/"):
        response = httpx.get(f"{gateway_via_relay.url}{path}", headers=viewer)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "location" not in response.headers
        assert internal not in response.text
    assert (
        httpx.get(f"{gateway_via_relay.url}/api/v1/industries", headers=viewer).status_code == 200
    )
