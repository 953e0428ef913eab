"""Dashboard sign-in sessions, kept server-side in Redis.

Signing in with an API key creates a session; the browser holds only its random
token in an HttpOnly cookie, and Redis holds the session under the token's SHA-256
(a copy of Redis does not hand out live cookies). The key itself is never kept:
the session names the key by id, and every request re-checks that key through the
key store (`KeyAuthenticator.authenticate_id`, cached for API_KEY_CACHE_SECONDS like
an API call), so revoking or expiring the key ends its sessions.

A session ends when it has been unused for DASHBOARD_IDLE_SECONDS (each use renews
that in the same command that reads it, GETEX), after DASHBOARD_SESSION_SECONDS in
any case, or at sign-out (deleted here, so a copied cookie is dead too). Each session
carries its own CSRF token (the synchronizer token of every form it is shown).

Server-side rather than a signed cookie: sign-out and a revoked key must end a
session everywhere at once, which a self-contained cookie cannot do. The cost is
that pages need Redis: without it the dashboard answers 503 (the API itself keeps
serving, its rate limit fails open).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from orgair_auth import ApiKeyRecord
from orgair_observability import get_logger

__all__ = ["DashboardSession", "Notice", "SessionStore", "SessionsUnavailable"]

log = get_logger(__name__)

NAMESPACE = "orgair:dashboard:v1"
# One-shot messages for the next page (a job started, a decision recorded).
NOTICE_SECONDS = 300
MAX_NOTICES = 10
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class SessionsUnavailable(Exception):
    """Redis did not answer: no session can be created or checked."""


@dataclass(frozen=True)
class DashboardSession:
    key_id: uuid.UUID
    key_name: str
    csrf_token: str
    created_at: float
    expires_at: float

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "key_id": str(self.key_id),
                "key_name": self.key_name,
                "csrf_token": self.csrf_token,
                "created_at": self.created_at,
                "expires_at": self.expires_at,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> DashboardSession:
        data = orjson.loads(raw)
        return cls(
            key_id=uuid.UUID(data["key_id"]),
            key_name=str(data["key_name"]),
            csrf_token=str(data["csrf_token"]),
            created_at=float(data["created_at"]),
            expires_at=float(data["expires_at"]),
        )


@dataclass(frozen=True)
class Notice:
    kind: str  # "success" | "error"
    text: str


class SessionStore:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        lifetime_seconds: int,
        idle_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.lifetime_seconds = lifetime_seconds
        self.idle_seconds = min(idle_seconds, lifetime_seconds)
        self._clock = clock

    @classmethod
    def from_url(
        cls, url: str, *, timeout_seconds: float, lifetime_seconds: int, idle_seconds: int
    ) -> SessionStore:
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            retry_on_timeout=False,
        )
        return cls(client, lifetime_seconds=lifetime_seconds, idle_seconds=idle_seconds)

    async def create(self, record: ApiKeyRecord) -> tuple[str, DashboardSession]:
        """A new session for the key; its token (the cookie's value) and the session."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        session = DashboardSession(
            key_id=record.id,
            key_name=record.name,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.lifetime_seconds,
        )
        try:
            await self._client.set(self._key(token), session.to_json(), ex=self.idle_seconds)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return token, session

    async def load(self, token: str) -> DashboardSession | None:
        """The live session of `token` (its idle time renewed), or None."""
        if not _TOKEN.fullmatch(token):
            return None
        key = self._key(token)
        try:
            raw = await self._client.getex(key, ex=self.idle_seconds)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        if raw is None:
            return None
        try:
            session = DashboardSession.from_json(raw if isinstance(raw, bytes) else raw.encode())
        except (ValueError, KeyError, TypeError):
            await self.end(token)
            return None
        if self._clock() >= session.expires_at:
            await self.end(token)
            return None
        return session

    async def end(self, token: str) -> None:
        if not _TOKEN.fullmatch(token):
            return
        try:
            await self._client.delete(self._key(token), self._notices_key(token))
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def add_notice(self, token: str, notice: Notice) -> None:
        key = self._notices_key(token)
        payload = orjson.dumps({"kind": notice.kind, "text": notice.text})
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.rpush(key, payload)
                pipe.ltrim(key, -MAX_NOTICES, -1)
                pipe.expire(key, NOTICE_SECONDS)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def take_notices(self, token: str) -> list[Notice]:
        """The notices waiting for this session; each is shown once."""
        key = self._notices_key(token)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.lrange(key, 0, -1)
                pipe.delete(key)
                raw, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        notices = []
        for item in raw:
            data = orjson.loads(item)
            notices.append(Notice(kind=str(data["kind"]), text=str(data["text"])))
        return notices

    async def close(self) -> None:
        await self._client.aclose()

    def _key(self, token: str) -> str:
        return f"{NAMESPACE}:session:{_digest(token)}"

    def _notices_key(self, token: str) -> str:
        return f"{NAMESPACE}:notices:{_digest(token)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _unavailable(exc: BaseException) -> SessionsUnavailable:
    log.warning("dashboard_sessions_unavailable", error_type=type(exc).__name__)
    return SessionsUnavailable(type(exc).__name__)
