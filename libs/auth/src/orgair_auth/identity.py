"""The caller's identity, forwarded by the gateway to upstream services in signed headers.

The gateway authenticates the API key, then sends four headers with every
proxied request:

    X-Orgair-Key-Id     the key's id (never the key)
    X-Orgair-Role       the key's role
    X-Orgair-Timestamp  Unix seconds when the gateway signed the request
    X-Orgair-Signature  v1=<hex HMAC-SHA256>

The MAC covers the version, key id, role, timestamp, method and request target
(raw path plus query), each on its own line, under a key derived from
SECRET_KEY for this purpose alone. A service holding SECRET_KEY accepts the
identity only if the MAC matches and the timestamp is within the allowed clock
skew, so a request that did not pass the gateway (or a captured one replayed
later, or against another path or method) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from orgair_auth.roles import Role

__all__ = [
    "DEFAULT_MAX_SKEW_SECONDS",
    "IDENTITY_HEADERS",
    "KEY_ID_HEADER",
    "ROLE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Identity",
    "IdentityRejection",
    "IdentitySigner",
    "IdentityVerifier",
    "InvalidIdentity",
    "request_target",
]

KEY_ID_HEADER = "x-orgair-key-id"
ROLE_HEADER = "x-orgair-role"
TIMESTAMP_HEADER = "x-orgair-timestamp"
SIGNATURE_HEADER = "x-orgair-signature"
IDENTITY_HEADERS = (KEY_ID_HEADER, ROLE_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)

DEFAULT_MAX_SKEW_SECONDS = 30
_VERSION = "v1"
_SIGNATURE_PREFIX = _VERSION + "="
_PURPOSE = b"orgair identity headers v1"

Clock = Callable[[], float]


@dataclass(frozen=True)
class Identity:
    """Who is calling: the API key's id and its role."""

    key_id: str
    role: Role


class IdentityRejection(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"


class InvalidIdentity(Exception):
    """The identity headers are missing, malformed, wrongly signed or outside the skew window."""

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


def _mac(key: bytes, key_id: str, role: str, timestamp: str, method: str, target: str) -> str:
    message = "\n".join((_VERSION, key_id, role, timestamp, method.upper(), target))
    # One-shot HMAC in C (per request, in the gateway and in scoring).
    return hmac.digest(key, message.encode("latin-1"), "sha256").hex()


class IdentitySigner:
    """Used by the gateway: the identity headers for one upstream request."""

    def __init__(self, secret: str, *, clock: Clock = time.time) -> None:
        self._key = _signing_key(secret)
        self._clock = clock

    def sign(self, identity: Identity, method: str, target: str) -> list[tuple[str, str]]:
        timestamp = str(int(self._clock()))
        role = identity.role.value
        signature = _mac(self._key, identity.key_id, role, timestamp, method, target)
        return [
            (KEY_ID_HEADER, identity.key_id),
            (ROLE_HEADER, role),
            (TIMESTAMP_HEADER, timestamp),
            (SIGNATURE_HEADER, _SIGNATURE_PREFIX + signature),
        ]


class IdentityVerifier:
    """Used by upstream services: the identity of a request, or `InvalidIdentity`."""

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

    def verify(self, headers: Mapping[str, str], method: str, target: str) -> Identity:
        """`headers` must answer lower-case names (Starlette's `Headers` does)."""
        values = [headers.get(name) for name in IDENTITY_HEADERS]
        if all(value is None for value in values):
            raise InvalidIdentity(IdentityRejection.MISSING)
        key_id, role, timestamp, signature = values
        if key_id is None or role is None or timestamp is None or signature is None:
            raise InvalidIdentity(IdentityRejection.MALFORMED)
        if not signature.startswith(_SIGNATURE_PREFIX) or not timestamp.isdigit():
            raise InvalidIdentity(IdentityRejection.MALFORMED)
        expected = _mac(self._key, key_id, role, timestamp, method, target)
        # Signature first, then freshness: a forged header learns nothing about the window.
        if not hmac.compare_digest(expected, signature[len(_SIGNATURE_PREFIX) :]):
            raise InvalidIdentity(IdentityRejection.BAD_SIGNATURE)
        if abs(self._clock() - int(timestamp)) > self._max_skew:
            raise InvalidIdentity(IdentityRejection.STALE)
        try:
            return Identity(key_id=key_id, role=Role(role))
        except ValueError:
            # Correctly signed but naming no role we know: a newer gateway, say.
            raise InvalidIdentity(IdentityRejection.MALFORMED) from None
