"""Admin-only key management: issue, list and revoke API keys.

The access middleware has already authenticated the caller; these endpoints
additionally require the admin role. A new key is returned once, in the
creation response; afterwards only its id, name, role and last characters exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field, StringConstraints

from orgair_auth import ApiKeyRecord, ApiKeyRepository, Identity, LastAdminKey, Role
from orgair_database.values import VISIBLE_TEXT
from orgair_gateway.health import ResourcesDep
from orgair_gateway.proxy import IDENTITY_STATE
from orgair_observability import Conflict, NotFound, ProblemError, get_logger
from orgair_observability.openapi import problem_responses

__all__ = ["router"]

log = get_logger(__name__)


def caller_identity(request: Request) -> Identity:
    identity = getattr(request.state, IDENTITY_STATE, None)
    if not isinstance(identity, Identity):
        # Only reachable if the access middleware was not installed in front.
        raise ProblemError(401, "Unauthorized", "A valid API key is required.")
    return identity


def require_admin(identity: Annotated[Identity, Depends(caller_identity)]) -> Identity:
    if not identity.role.grants(Role.ADMIN):
        raise ProblemError(
            403,
            "Forbidden",
            f"Key management needs the admin role; the API key has {identity.role.value}.",
            required_role=Role.ADMIN.value,
        )
    return identity


AdminDep = Annotated[Identity, Depends(require_admin)]

router = APIRouter(prefix="/admin/keys", tags=["api keys"])


class KeyCreate(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100), VISIBLE_TEXT] = Field(
        description="Who or what uses the key."
    )
    role: Role
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    hint: str = Field(description="The key's last characters, to tell keys apart.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> KeyOut:
        return cls(
            id=record.id,
            name=record.name,
            role=record.role,
            hint=record.hint,
            created_at=record.created_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
        )


class KeyCreated(KeyOut):
    key: str = Field(description="The API key itself. Shown once: it cannot be recovered.")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
async def create_key(body: KeyCreate, admin: AdminDep, resources: ResourcesDep) -> KeyCreated:
    secret = resources.settings.SECRET_KEY.get_secret_value()
    expires_in = timedelta(days=body.expires_in_days) if body.expires_in_days else None

    def issue() -> KeyCreated:
        with resources.database.session() as session:
            issued = ApiKeyRepository(session, secret).create(
                name=body.name, role=body.role, expires_in=expires_in
            )
        return KeyCreated(**KeyOut.of(issued.record).model_dump(), key=issued.key)

    created = await to_thread.run_sync(issue)
    log.info("api_key_created", issued_id=str(created.id), role=created.role.value)
    return created


@router.get("", response_model=list[KeyOut])
async def list_keys(admin: AdminDep, resources: ResourcesDep) -> list[KeyOut]:
    secret = resources.settings.SECRET_KEY.get_secret_value()

    def read() -> list[KeyOut]:
        with resources.database.session() as session:
            return [KeyOut.of(record) for record in ApiKeyRepository(session, secret).list()]

    return await to_thread.run_sync(read)


@router.delete(
    "/{key_id}",
    response_model=KeyOut,
    responses=problem_responses(404, 409),
)
async def revoke_key(key_id: uuid.UUID, admin: AdminDep, resources: ResourcesDep) -> KeyOut:
    secret = resources.settings.SECRET_KEY.get_secret_value()

    def revoke() -> ApiKeyRecord | None:
        with resources.database.session() as session:
            return ApiKeyRepository(session, secret).revoke(key_id)

    try:
        record = await to_thread.run_sync(revoke)
    except LastAdminKey:
        raise Conflict(
            f"API key '{key_id}' is the last active admin key: revoking it would leave no "
            "key able to manage keys. Issue another admin key first.",
        ) from None
    if record is None:
        raise NotFound("API key", key_id)
    # Other gateway processes stop accepting it within API_KEY_CACHE_SECONDS.
    resources.authenticator.forget(key_id)
    log.info("api_key_revoked", revoked_id=str(key_id))
    return KeyOut.of(record)
