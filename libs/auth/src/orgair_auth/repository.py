"""Issue, list, revoke and authenticate API keys in the `api_keys` table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from orgair_auth.keys import (
    digest_api_key,
    digests_match,
    generate_api_key,
    is_well_formed_api_key,
    key_hint,
)
from orgair_auth.models import ApiKey
from orgair_auth.roles import Role
from orgair_database import utcnow

__all__ = [
    "ApiKeyRecord",
    "ApiKeyRepository",
    "IssuedApiKey",
    "KeyRejected",
    "LastAdminKey",
    "RejectionReason",
]

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class ApiKeyRecord:
    """What the platform knows about a key (never the key itself)."""

    id: uuid.UUID
    name: str
    role: Role
    hint: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_active(self, now: datetime) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @classmethod
    def from_row(cls, row: ApiKey) -> ApiKeyRecord:
        return cls(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            hint=row.hint,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key and its record. `key` exists only here: show it once, store it nowhere."""

    key: str
    record: ApiKeyRecord

    def __repr__(self) -> str:
        return f"IssuedApiKey(key='***', record={self.record!r})"


class RejectionReason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"


class KeyRejected(Exception):
    """A presented key does not authenticate; `reason` is for logs, not for the caller."""

    def __init__(self, reason: RejectionReason, record: ApiKeyRecord | None = None) -> None:
        super().__init__(f"API key rejected: {reason.value}")
        self.reason = reason
        self.record = record


class LastAdminKey(Exception):
    """Revoking this key would leave no active admin key."""

    def __init__(self, record: ApiKeyRecord) -> None:
        super().__init__(f"API key {record.id} is the last active admin key")
        self.record = record


class ApiKeyRepository:
    """The key store over one SQLAlchemy session; `secret` is the server's SECRET_KEY."""

    def __init__(self, session: Session, secret: str) -> None:
        self._session = session
        self._secret = secret

    def create(
        self,
        *,
        name: str,
        role: Role,
        expires_in: timedelta | None = None,
        now: datetime | None = None,
    ) -> IssuedApiKey:
        """Issue a key; the caller commits. The returned key is the only copy."""
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"name must be 1..{MAX_NAME_LENGTH} characters")
        if expires_in is not None and expires_in <= timedelta(0):
            raise ValueError("expires_in must be positive")
        now = now or utcnow()
        key = generate_api_key()
        row = ApiKey(
            name=name,
            role=role.value,
            key_digest=digest_api_key(key, self._secret),
            hint=key_hint(key),
            created_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
        )
        self._session.add(row)
        self._session.flush()
        return IssuedApiKey(key=key, record=ApiKeyRecord.from_row(row))

    def list(self, *, include_revoked: bool = True) -> list[ApiKeyRecord]:
        statement = select(ApiKey).order_by(ApiKey.created_at, ApiKey.name)
        if not include_revoked:
            statement = statement.where(ApiKey.revoked_at.is_(None))
        return [ApiKeyRecord.from_row(row) for row in self._session.scalars(statement)]

    def get(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        row = self._session.get(ApiKey, key_id)
        return ApiKeyRecord.from_row(row) if row is not None else None

    def revoke(self, key_id: uuid.UUID, *, now: datetime | None = None) -> ApiKeyRecord | None:
        """Mark a key revoked (idempotent: the first revocation time is kept); None if unknown.

        Raises `LastAdminKey` when it is the last active admin key: without one, no key
        could be issued or revoked over HTTP again. Concurrent revocations of the last
        two admin keys cannot both pass: the statement that starts the transaction
        writes every active admin row (changing nothing), which takes their row locks
        on PostgreSQL and the write lock on SQLite, so the count below is exact and the
        second revocation waits for the first and then sees it.
        """
        now = now or utcnow()
        active_admin = (
            ApiKey.role == Role.ADMIN.value,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        self._session.execute(
            update(ApiKey)
            .where(*active_admin)
            .values(role=ApiKey.role)
            .execution_options(synchronize_session=False)
        )
        row = self._session.get(ApiKey, key_id)
        if row is None:
            return None
        record = ApiKeyRecord.from_row(row)
        if record.role is Role.ADMIN and record.is_active(now):
            others = self._session.scalar(
                select(func.count()).select_from(ApiKey).where(*active_admin, ApiKey.id != key_id)
            )
            if not others:
                raise LastAdminKey(record)
        if row.revoked_at is None:
            row.revoked_at = now
            self._session.flush()
        return ApiKeyRecord.from_row(row)

    def has_active_key(self, role: Role, *, now: datetime | None = None) -> bool:
        """Is there a key of exactly `role` that is neither revoked nor expired?"""
        now = now or utcnow()
        statement = select(ApiKey).where(ApiKey.role == role.value, ApiKey.revoked_at.is_(None))
        return any(
            ApiKeyRecord.from_row(row).is_active(now) for row in self._session.scalars(statement)
        )

    def find(self, key: str) -> ApiKeyRecord:
        """The record of a presented key, revoked and expired ones included.

        Raises `KeyRejected` (malformed or unknown). The lookup is by digest: the
        database compares HMACs the caller cannot choose, so its timing says
        nothing about the key; the final comparison is constant-time anyway.
        """
        if not is_well_formed_api_key(key):
            raise KeyRejected(RejectionReason.MALFORMED)
        digest = digest_api_key(key, self._secret)
        row = self._session.scalars(select(ApiKey).where(ApiKey.key_digest == digest)).first()
        if row is None or not digests_match(row.key_digest, digest):
            raise KeyRejected(RejectionReason.UNKNOWN)
        return ApiKeyRecord.from_row(row)

    def authenticate(self, key: str, *, now: datetime | None = None) -> ApiKeyRecord:
        """The record of an active key; raises `KeyRejected` saying why otherwise."""
        record = self.find(key)
        return ensure_active(record, now or utcnow())


def ensure_active(record: ApiKeyRecord, now: datetime) -> ApiKeyRecord:
    """`record` when usable at `now`; raises `KeyRejected` (revoked or expired) otherwise."""
    if record.is_revoked:
        raise KeyRejected(RejectionReason.REVOKED, record)
    if record.is_expired(now):
        raise KeyRejected(RejectionReason.EXPIRED, record)
    return record
