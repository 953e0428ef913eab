"""The caller's identity, forwarded by the gateway to upstream services in signed headers.

The gateway authenticates the API key, then sends five headers with every
proxied request:

    X-Orgair-Key-Id     the key's id (never the key)
    X-Orgair-Role       the key's role
    X-Orgair-Timestamp  Unix seconds when the gateway signed the request
    X-Orgair-Nonce      32 random hex digits, new for every request
    X-Orgair-Signature  v2=<hex HMAC-SHA256>

The MAC covers the version, key id, role, timestamp, nonce, method, request
target (raw path plus query) and the SHA-256 of the body, each on its own line,
under a key derived from SECRET_KEY for this purpose alone. The body's digest is
not sent: the receiver hashes the body it received and puts that in the MAC, so
a changed body is a wrong signature.

A service holding SECRET_KEY accepts the identity only if the MAC matches (the
request is the one the gateway signed: same method, target and body), the
timestamp is within the allowed clock skew, and the nonce has not been seen
before (`orgair_auth.replay`): a captured request cannot be sent again, nor
turned into another request.

What this does not protect against: anyone holding SECRET_KEY can sign anything;
someone who can read the traffic between gateway and scoring sees the requests
and their answers (the signature hides nothing), and someone who can change it
in flight can drop a request and send the same one first. That channel is for the
deployment to protect: a network policy letting only the gateway reach scoring,
and TLS (mTLS) on it.

Version 1 (no nonce, no body) is no longer accepted: it is what made a captured
signature reusable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from orgair_auth.roles import Role

__all__ = [
    "DEFAULT_MAX_SKEW_SECONDS",
    "EMPTY_BODY_SHA256",
    "IDENTITY_HEADERS",
    "KEY_ID_HEADER",
    "NONCE_HEADER",
    "ROLE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Identity",
    "IdentityRejection",
    "IdentitySigner",
    "IdentityVerifier",
    "InvalidIdentity",
    "SignedIdentity",
    "body_sha256",
    "request_target",
]

KEY_ID_HEADER = "x-orgair-key-id"
ROLE_HEADER = "x-orgair-role"
TIMESTAMP_HEADER = "x-orgair-timestamp"
NONCE_HEADER = "x-orgair-nonce"
SIGNATURE_HEADER = "x-orgair-signature"
IDENTITY_HEADERS = (KEY_ID_HEADER, ROLE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

DEFAULT_MAX_SKEW_SECONDS = 30
_VERSION = "v2"
_SIGNATURE_PREFIX = _VERSION + "="
_PURPOSE = b"orgair identity headers v1"
_NONCE_BYTES = 16
_NONCE = re.compile(r"[0-9a-f]{32}")

Clock = Callable[[], float]


def body_sha256(body: bytes) -> str:
    """What the signature covers of a body: its SHA-256, as hex."""
    return hashlib.sha256(body).hexdigest()


EMPTY_BODY_SHA256 = body_sha256(b"")


@dataclass(frozen=True)
class Identity:
    """Who is calling: the API key's id and its role."""

    key_id: str
    role: Role


@dataclass(frozen=True)
class SignedIdentity:
    """A verified identity and what makes its signature single-use."""

    identity: Identity
    nonce: str
    # Unix time after which the signature would be refused as stale anyway: how
    # long its nonce must be remembered.
    valid_until: float


class IdentityRejection(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"
    REPLAYED = "replayed"


class InvalidIdentity(Exception):
    """The identity headers are missing, malformed, wrongly signed, stale or replayed."""

    def __init__(self, reason: IdentityRejection) -> None:
        super().__init__(f"identity headers rejected: {reason.value}")
        self.reason = reason


def request_target(raw_path: bytes | str, query_string: bytes | str = b"") -> str:
    """What the signature covers: the raw path and the query, as sent on the request line."""
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else raw_path
    query = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    return f"{path}?{query}" if query else path


def _signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _mac(
    key: bytes,
    key_id: str,
    role: str,
    timestamp: str,
    nonce: str,
    method: str,
    target: str,
    body_digest: str,
) -> str:
    message = "\n".join(
        (_VERSION, key_id, role, timestamp, nonce, method.upper(), target, body_digest)
    )
    # One-shot HMAC in C (per request, in the gateway and in scoring).
    return hmac.digest(key, message.encode("latin-1"), "sha256").hex()


class IdentitySigner:
    """Used by the gateway: the identity headers for one upstream request."""

    def __init__(self, secret: str, *, clock: Clock = time.time) -> None:
        self._key = _signing_key(secret)
        self._clock = clock

    def sign(
        self,
        identity: Identity,
        method: str,
        target: str,
        body_digest: str = EMPTY_BODY_SHA256,
    ) -> list[tuple[str, str]]:
        """The headers for a request with this method, target and body digest
        (`body_sha256(body)`; the default is an empty body's)."""
        timestamp = str(int(self._clock()))
        nonce = os.urandom(_NONCE_BYTES).hex()
        role = identity.role.value
        signature = _mac(
            self._key, identity.key_id, role, timestamp, nonce, method, target, body_digest
        )
        return [
            (KEY_ID_HEADER, identity.key_id),
            (ROLE_HEADER, role),
            (TIMESTAMP_HEADER, timestamp),
            (NONCE_HEADER, nonce),
            (SIGNATURE_HEADER, _SIGNATURE_PREFIX + signature),
        ]


class IdentityVerifier:
    """Used by upstream services: the signed identity of a request, or `InvalidIdentity`.

    Checks signature and freshness; whether the nonce was used before is the
    `ReplayGuard`'s to say (it needs shared state, this needs none)."""

    def __init__(
        self,
        secret: str,
        *,
        max_skew_seconds: float = DEFAULT_MAX_SKEW_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        if max_skew_seconds <= 0:
            raise ValueError("max_skew_seconds must be positive")
        self._key = _signing_key(secret)
        self._max_skew = max_skew_seconds
        self._clock = clock

    @property
    def max_skew_seconds(self) -> float:
        return self._max_skew

    def verify(
        self, headers: Mapping[str, str], method: str, target: str, body_digest: str
    ) -> SignedIdentity:
        """`headers` must answer lower-case names (Starlette's `Headers` does);
        `body_digest` is `body_sha256` of the body as received."""
        values = [headers.get(name) for name in IDENTITY_HEADERS]
        if all(value is None for value in values):
            raise InvalidIdentity(IdentityRejection.MISSING)
        key_id, role, timestamp, nonce, signature = values
        if (
            key_id is None
            or role is None
            or timestamp is None
            or nonce is None
            or signature is None
            or not signature.startswith(_SIGNATURE_PREFIX)
            or not timestamp.isdigit()
            or _NONCE.fullmatch(nonce) is None
        ):
            raise InvalidIdentity(IdentityRejection.MALFORMED)
        expected = _mac(self._key, key_id, role, timestamp, nonce, method, target, body_digest)
        # Signature first, then freshness: a forged header learns nothing about the window.
        if not hmac.compare_digest(expected, signature[len(_SIGNATURE_PREFIX) :]):
            raise InvalidIdentity(IdentityRejection.BAD_SIGNATURE)
        signed_at = int(timestamp)
        if abs(self._clock() - signed_at) > self._max_skew:
            raise InvalidIdentity(IdentityRejection.STALE)
        try:
            identity = Identity(key_id=key_id, role=Role(role))
        except ValueError:
            # Correctly signed but naming no role we know: a newer gateway, say.
            raise InvalidIdentity(IdentityRejection.MALFORMED) from None
        return SignedIdentity(identity, nonce, valid_until=signed_at + self._max_skew)
