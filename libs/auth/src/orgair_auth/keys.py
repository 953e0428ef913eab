"""API key format and storage digest.

A key reads ``oair_<30 random base62 characters><6 base62 characters of CRC32>``:

* the prefix makes a leaked key recognisable to people and to secret scanners;
* the CRC32 suffix lets anyone (a scanner, the gateway) reject a mistyped or
  made-up key offline, without a database lookup;
* 30 base62 characters carry 178 bits of randomness, so keys cannot be guessed.

Only ``HMAC-SHA256(secret, key)`` is stored. An HMAC rather than a plain hash:
a stolen table of digests cannot be checked against candidate keys without the
server's secret as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from functools import lru_cache

__all__ = [
    "KEY_LENGTH",
    "KEY_PREFIX",
    "digest_api_key",
    "digests_match",
    "generate_api_key",
    "is_well_formed_api_key",
    "key_hint",
]

KEY_PREFIX = "oair_"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6  # 62**6 > 2**32: any CRC32 fits
KEY_LENGTH = len(KEY_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
HINT_LENGTH = 4
# Keys are hashed under a key derived for this purpose alone, so SECRET_KEY's
# other uses (identity signatures) never share a MAC key with key storage.
_DIGEST_PURPOSE = b"orgair api key digest v1"
_BASE62_SET = frozenset(BASE62)


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate_api_key() -> str:
    """A fresh random key (shown once to its owner, never stored)."""
    body = KEY_PREFIX + "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return body + _checksum(body)


def is_well_formed_api_key(candidate: str) -> bool:
    """Prefix, length, alphabet and checksum are right (says nothing about validity)."""
    if len(candidate) != KEY_LENGTH or not candidate.startswith(KEY_PREFIX):
        return False
    rest = candidate[len(KEY_PREFIX) :]
    if not _BASE62_SET.issuperset(rest):
        return False
    body, checksum = candidate[:-CHECKSUM_LENGTH], candidate[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(_checksum(body), checksum)


def key_hint(key: str) -> str:
    """The last characters of a key (its checksum): enough for an owner to tell keys
    apart in a listing, and derived from the rest, so they reveal nothing secret."""
    return key[-HINT_LENGTH:]


@lru_cache(maxsize=8)
def _digest_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _DIGEST_PURPOSE, hashlib.sha256).digest()


def digest_api_key(key: str, secret: str) -> str:
    """The stored form of `key`: hex HMAC-SHA256 under a key derived from `secret`."""
    return hmac.digest(_digest_key(secret), key.encode(), "sha256").hex()


def digests_match(stored: str, presented: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(stored.encode(), presented.encode())
