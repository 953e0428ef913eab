"""Scoring trusts only the gateway's signed identity: direct calls get 401, roles get 403."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from orgair_auth import Identity, IdentitySigner, Role, body_sha256
from tests.api.helpers import MANUFACTURING, V1, assert_problem
from tests.conftest import TEST_SECRET_KEY

TARGET = f"{V1}/industries"


@pytest.fixture
def direct(client: TestClient) -> TestClient:
    """The same scoring app, called without the gateway (no identity headers)."""
    return TestClient(client.app, raise_server_exceptions=False)


def identity_headers(
    secret: str, method: str, target: str, *, at: float | None = None, body: bytes = b""
) -> dict[str, str]:
    signer = IdentitySigner(secret, clock=(lambda: at) if at is not None else time.time)
    return dict(
        signer.sign(Identity("direct-caller", Role.ADMIN), method, target, body_sha256(body))
    )


def test_without_signature_is_401(direct: TestClient) -> None:
    body = assert_problem(direct.get(TARGET), 401)
    assert "gateway" in body["detail"]
    assert_problem(
        direct.post(f"{V1}/companies", json={"name": "X", "industry_id": MANUFACTURING}), 401
    )


def test_forged_signature_is_401(direct: TestClient) -> None:
    forged = identity_headers("not-the-secret-key-0123456789abcdef", "GET", TARGET)
    assert_problem(direct.get(TARGET, headers=forged), 401)
    # A real signature for another path does not open this one.
    other = identity_headers(TEST_SECRET_KEY, "GET", f"{V1}/companies")
    assert_problem(direct.get(TARGET, headers=other), 401)
    # Nor does a reader's signature survive a change of role.
    real = identity_headers(TEST_SECRET_KEY, "GET", TARGET)
    assert_problem(direct.get(TARGET, headers={**real, "x-orgair-role": "viewer"}), 401)
    assert direct.get(TARGET, headers=real).status_code == 200


def test_a_signature_is_good_for_one_request(direct: TestClient) -> None:
    real = identity_headers(TEST_SECRET_KEY, "GET", TARGET)
    assert direct.get(TARGET, headers=real).status_code == 200
    body = assert_problem(direct.get(TARGET, headers=real), 401)
    assert "gateway" in body["detail"]


def test_a_signature_covers_the_body(direct: TestClient) -> None:
    sent = json.dumps({"name": "Signed Co", "industry_id": MANUFACTURING}).encode()
    headers = {
        **identity_headers(TEST_SECRET_KEY, "POST", f"{V1}/companies", body=sent),
        "content-type": "application/json",
    }
    other = json.dumps({"name": "Swapped Co", "industry_id": MANUFACTURING}).encode()
    assert_problem(direct.post(f"{V1}/companies", content=other, headers=headers), 401)
    # The refused attempt did not use the nonce up: the request as signed still goes through.
    created = direct.post(f"{V1}/companies", content=sent, headers=headers)
    assert created.status_code == 201 and created.json()["name"] == "Signed Co"
    # A body on a request signed without one is refused too.
    read = identity_headers(TEST_SECRET_KEY, "GET", TARGET)
    assert_problem(direct.request("GET", TARGET, content=b"smuggled", headers=read), 401)


def test_stale_signature_is_401(direct: TestClient) -> None:
    stale = identity_headers(TEST_SECRET_KEY, "GET", TARGET, at=time.time() - 120)
    assert_problem(direct.get(TARGET, headers=stale), 401)


def test_probes_stay_open(direct: TestClient) -> None:
    assert direct.get("/livez").status_code == 200
    assert direct.get("/readyz").status_code == 200


def test_roles_are_enforced_by_method(client_as: Callable[[Role], TestClient]) -> None:
    viewer = client_as(Role.VIEWER)
    assert viewer.get(TARGET).status_code == 200
    body = assert_problem(
        viewer.post(f"{V1}/companies", json={"name": "X", "industry_id": MANUFACTURING}), 403
    )
    assert body["required_role"] == "analyst"
    created = client_as(Role.ANALYST).post(
        f"{V1}/companies", json={"name": "X", "industry_id": MANUFACTURING}
    )
    assert created.status_code == 201
