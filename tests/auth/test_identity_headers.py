"""Signed identity headers: what the gateway sends and upstream services verify."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from orgair_auth import (
    Identity,
    IdentityRejection,
    IdentitySigner,
    IdentityVerifier,
    InvalidIdentity,
    Role,
    request_target,
)

SECRET = "identity-test-secret-0123456789abcdef"
NOW = 1_800_000_000.0
ALICE = Identity(key_id="0b0e5b54-4a0e-4c43-9a53-1d4c2f8f1a11", role=Role.ANALYST)


def signed(method: str = "POST", target: str = "/api/v1/companies?x=1", at: float = NOW) -> Headers:
    pairs = IdentitySigner(SECRET, clock=lambda: at).sign(ALICE, method, target)
    return Headers(dict(pairs))


def verify(headers: Headers, method: str = "POST", target: str = "/api/v1/companies?x=1",
           secret: str = SECRET, at: float = NOW) -> Identity:  # fmt: skip
    return IdentityVerifier(secret, max_skew_seconds=30, clock=lambda: at).verify(
        headers, method, target
    )


def rejection(headers: Headers, **kwargs: object) -> IdentityRejection:
    with pytest.raises(InvalidIdentity) as raised:
        verify(headers, **kwargs)  # type: ignore[arg-type]
    return raised.value.reason


def test_round_trip() -> None:
    assert verify(signed()) == ALICE
    assert verify(signed(), at=NOW + 30) == ALICE  # edge of the window


def test_missing_and_partial_headers() -> None:
    assert rejection(Headers({})) is IdentityRejection.MISSING
    partial = {k: v for k, v in signed().items() if k != "x-orgair-signature"}
    assert rejection(Headers(partial)) is IdentityRejection.MALFORMED


@pytest.mark.parametrize("header", ["x-orgair-key-id", "x-orgair-role", "x-orgair-timestamp"])
def test_any_changed_field_breaks_the_signature(header: str) -> None:
    values = dict(signed())
    values[header] = {"x-orgair-role": "admin", "x-orgair-timestamp": str(int(NOW) + 1)}.get(
        header, "someone-else"
    )
    assert rejection(Headers(values)) is IdentityRejection.BAD_SIGNATURE


def test_signature_binds_method_target_and_secret() -> None:
    assert rejection(signed(), method="DELETE") is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), target="/api/v1/companies?x=2") is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), secret=SECRET + "!") is IdentityRejection.BAD_SIGNATURE


def test_stale_and_future_timestamps_are_rejected() -> None:
    assert rejection(signed(at=NOW - 31)) is IdentityRejection.STALE
    assert rejection(signed(at=NOW + 31)) is IdentityRejection.STALE


def test_request_target_keeps_the_raw_query() -> None:
    assert (
        request_target(b"/api/v1/companies", b"page=2&q=a%20b")
        == "/api/v1/companies?page=2&q=a%20b"
    )
    assert request_target(b"/livez", b"") == "/livez"


def test_signature_format_is_stable() -> None:
    """Gateway and scoring replicas of different versions must agree: v1= hex
    HMAC-SHA256 over the fields, one per line, under a key derived from SECRET_KEY."""
    import hashlib
    import hmac

    from orgair_auth.identity import _PURPOSE

    signer = IdentitySigner(SECRET, clock=lambda: 1_700_000_000)
    headers = dict(signer.sign(Identity("key-1", Role.ANALYST), "post", "/api/v1/x?a=1"))
    derived = hmac.new(SECRET.encode(), _PURPOSE, hashlib.sha256).digest()
    message = "\n".join(("v1", "key-1", "analyst", "1700000000", "POST", "/api/v1/x?a=1"))
    expected = hmac.new(derived, message.encode("latin-1"), hashlib.sha256).hexdigest()
    assert headers["x-orgair-signature"] == "v1=" + expected
