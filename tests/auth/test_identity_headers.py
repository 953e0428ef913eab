"""Signed identity headers: what the gateway sends and upstream services verify."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from orgair_auth import (
    EMPTY_BODY_SHA256,
    Identity,
    IdentityRejection,
    IdentitySigner,
    IdentityVerifier,
    InvalidIdentity,
    Role,
    SignedIdentity,
    body_sha256,
    request_target,
)

SECRET = "identity-test-secret-0123456789abcdef"
NOW = 1_800_000_000.0
ALICE = Identity(key_id="0b0e5b54-4a0e-4c43-9a53-1d4c2f8f1a11", role=Role.ANALYST)
BODY = b'{"name": "Acme"}'


def signed(
    method: str = "POST",
    target: str = "/api/v1/companies?x=1",
    at: float = NOW,
    body: bytes = BODY,
) -> Headers:
    pairs = IdentitySigner(SECRET, clock=lambda: at).sign(ALICE, method, target, body_sha256(body))
    return Headers(dict(pairs))


def verify(headers: Headers, method: str = "POST", target: str = "/api/v1/companies?x=1",
           secret: str = SECRET, at: float = NOW, body: bytes = BODY) -> SignedIdentity:  # fmt: skip
    return IdentityVerifier(secret, max_skew_seconds=30, clock=lambda: at).verify(
        headers, method, target, body_sha256(body)
    )


def rejection(headers: Headers, **kwargs: object) -> IdentityRejection:
    with pytest.raises(InvalidIdentity) as raised:
        verify(headers, **kwargs)  # type: ignore[arg-type]
    return raised.value.reason


def test_round_trip() -> None:
    headers = signed()
    verified = verify(headers)
    assert verified.identity == ALICE
    assert verified.nonce == headers["x-orgair-nonce"]
    assert verified.valid_until == NOW + 30
    assert verify(signed(), at=NOW + 30).identity == ALICE  # edge of the window


def test_every_signature_has_its_own_nonce() -> None:
    nonces = {signed()["x-orgair-nonce"] for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(nonce) == 32 and int(nonce, 16) >= 0 for nonce in nonces)


def test_missing_and_partial_headers() -> None:
    assert rejection(Headers({})) is IdentityRejection.MISSING
    for left_out in ("x-orgair-signature", "x-orgair-nonce"):
        partial = {k: v for k, v in signed().items() if k != left_out}
        assert rejection(Headers(partial)) is IdentityRejection.MALFORMED
    odd_nonce = {**signed(), "x-orgair-nonce": "not-hex"}
    assert rejection(Headers(odd_nonce)) is IdentityRejection.MALFORMED


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-orgair-key-id", "someone-else"),
        ("x-orgair-role", "admin"),
        ("x-orgair-timestamp", str(int(NOW) + 1)),
        ("x-orgair-nonce", "0" * 32),
    ],
)
def test_any_changed_field_breaks_the_signature(header: str, value: str) -> None:
    values = {**signed(), header: value}
    assert rejection(Headers(values)) is IdentityRejection.BAD_SIGNATURE


def test_signature_binds_method_target_body_and_secret() -> None:
    assert rejection(signed(), method="DELETE") is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), target="/api/v1/companies?x=2") is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), body=b'{"name": "Evil"}') is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), body=b"") is IdentityRejection.BAD_SIGNATURE
    assert rejection(signed(), secret=SECRET + "!") is IdentityRejection.BAD_SIGNATURE
    get = signed("GET", "/api/v1/industries", body=b"")
    assert verify(get, "GET", "/api/v1/industries", body=b"").identity == ALICE


def test_stale_and_future_timestamps_are_rejected() -> None:
    assert rejection(signed(at=NOW - 31)) is IdentityRejection.STALE
    assert rejection(signed(at=NOW + 31)) is IdentityRejection.STALE


def test_version_1_signatures_are_refused() -> None:
    """The v1 form (no nonce, no body) is what made a captured signature reusable."""
    values = dict(signed())
    values["x-orgair-signature"] = "v1=" + values["x-orgair-signature"][3:]
    assert rejection(Headers(values)) is IdentityRejection.MALFORMED


def test_request_target_keeps_the_raw_query() -> None:
    assert (
        request_target(b"/api/v1/companies", b"page=2&q=a%20b")
        == "/api/v1/companies?page=2&q=a%20b"
    )
    assert request_target(b"/livez", b"") == "/livez"


def test_signature_format_is_stable() -> None:
    """Gateway and scoring replicas of different versions must agree: v2= hex
    HMAC-SHA256 over the fields, one per line, under a key derived from SECRET_KEY."""
    import hashlib
    import hmac

    from orgair_auth.identity import _PURPOSE

    signer = IdentitySigner(SECRET, clock=lambda: 1_700_000_000)
    headers = dict(
        signer.sign(Identity("key-1", Role.ANALYST), "post", "/api/v1/x?a=1", body_sha256(b"{}"))
    )
    derived = hmac.new(SECRET.encode(), _PURPOSE, hashlib.sha256).digest()
    message = "\n".join(
        (
            "v2", "key-1", "analyst", "1700000000", headers["x-orgair-nonce"], "POST",
            "/api/v1/x?a=1", hashlib.sha256(b"{}").hexdigest(),
        )
    )  # fmt: skip
    expected = hmac.new(derived, message.encode("latin-1"), hashlib.sha256).hexdigest()
    assert headers["x-orgair-signature"] == "v2=" + expected
    assert hashlib.sha256(b"").hexdigest() == EMPTY_BODY_SHA256
