"""API key authentication against the key store, with a short in-process cache.

Every proxied request is authenticated, so a database round trip per request
would cap the gateway's throughput at the database's. A successful lookup is
therefore reused for `API_KEY_CACHE_SECONDS`: a revocation or a new expiry takes
effect within that time on every replica (at once on the replica that revoked
it). Failed lookups are never cached; they are rate-limited per client address.
The cache is keyed by the key's HMAC digest, so no key is kept in memory.

A dashboard session knows its key by id only (the key itself is never kept after
sign-in): `authenticate_id` re-checks it the same way, from its own cache of the
same lifetime, so a revoked or expired key ends its sessions as it ends API calls.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime

from anyio import to_thread
from sqlalchemy import select

from orgair_auth import (
    ApiKey,
    ApiKeyRecord,
    ApiKeyRepository,
    KeyRejected,
    RejectionReason,
    digest_api_key,
    ensure_active,
    is_well_formed_api_key,
)
from orgair_database import Database, utcnow

__all__ = ["KeyAuthenticator", "LookupRefused"]

# Bounded so a flood of distinct valid keys cannot grow the process without limit.
MAX_CACHED_KEYS = 10_000


class LookupRefused(Exception):
    """The key is not cached and the caller's `lookup_allowed` said no store lookup."""


class KeyAuthenticator:
    def __init__(
        self,
        database: Database,
        secret: str,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self._secret = secret
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._now = now
        self._cache: OrderedDict[str, tuple[float, ApiKeyRecord]] = OrderedDict()
        self._by_id: OrderedDict[uuid.UUID, tuple[float, ApiKeyRecord]] = OrderedDict()

    async def authenticate(
        self, key: str, *, lookup_allowed: Callable[[], Awaitable[bool]] | None = None
    ) -> ApiKeyRecord:
        """The active record of `key`; raises `KeyRejected` (malformed, unknown, revoked,
        expired). Expiry is checked on every call, cached or not. A key that is not
        cached is looked up only if `lookup_allowed()` agrees (`LookupRefused` if not)."""
        digest = digest_api_key(key, self._secret)
        record = self._cached(digest)
        if record is None:
            # Only a key the store knew can be cached, so the format (checksum)
            # needs checking on a miss alone.
            if not is_well_formed_api_key(key):
                raise KeyRejected(RejectionReason.MALFORMED)
            if lookup_allowed is not None and not await lookup_allowed():
                raise LookupRefused
            record = await to_thread.run_sync(self._find, key)
            self._remember(digest, record)
        return ensure_active(record, self._now())

    async def authenticate_id(self, key_id: uuid.UUID) -> ApiKeyRecord:
        """The active record of the key with this id (a signed-in session's key); raises
        `KeyRejected` (unknown, revoked, expired). Cached like `authenticate`."""
        record = self._cached_id(key_id)
        if record is None:
            found = await to_thread.run_sync(self._get, key_id)
            if found is None:
                raise KeyRejected(RejectionReason.UNKNOWN)
            record = found
            self._remember_id(record)
        return ensure_active(record, self._now())

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop a key from this process's cache (after revoking it here)."""
        for digest in [d for d, (_, record) in self._cache.items() if record.id == key_id]:
            del self._cache[digest]
        self._by_id.pop(key_id, None)

    def check(self) -> None:
        """Readiness: the key table answers (raises the driver's error otherwise)."""
        with self._database.sessions() as session:
            session.execute(select(ApiKey.id).limit(1))

    def _find(self, key: str) -> ApiKeyRecord:
        with self._database.sessions() as session:
            return ApiKeyRepository(session, self._secret).find(key)

    def _get(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        with self._database.sessions() as session:
            return ApiKeyRepository(session, self._secret).get(key_id)

    def _cached_id(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        entry = self._by_id.get(key_id)
        if entry is None:
            return None
        fetched_at, record = entry
        if self._clock() - fetched_at > self._cache_seconds:
            del self._by_id[key_id]
            return None
        return record

    def _remember_id(self, record: ApiKeyRecord) -> None:
        if self._cache_seconds <= 0:
            return
        self._by_id[record.id] = (self._clock(), record)
        self._by_id.move_to_end(record.id)
        while len(self._by_id) > MAX_CACHED_KEYS:
            self._by_id.popitem(last=False)

    def _cached(self, digest: str) -> ApiKeyRecord | None:
        entry = self._cache.get(digest)
        if entry is None:
            return None
        fetched_at, record = entry
        if self._clock() - fetched_at > self._cache_seconds:
            del self._cache[digest]
            return None
        return record

    def _remember(self, digest: str, record: ApiKeyRecord) -> None:
        if self._cache_seconds <= 0:
            return
        self._cache[digest] = (self._clock(), record)
        self._cache.move_to_end(digest)
        while len(self._cache) > MAX_CACHED_KEYS:
            self._cache.popitem(last=False)
