"""Who is calling: the identity the gateway signed, checked on every `/api/*` request.

Scoring is reachable only through the gateway. The gateway authenticates the API
key and forwards the key id and role in signed headers (`orgair_auth.identity`);
here the signature (over method, target and the body as received), its freshness
and its nonce are checked, so a request that bypassed the gateway, replays a
signature (`orgair_auth.replay`) or carries another body is refused with 401. Roles are then
enforced: every route needs at least `viewer` for reads and `analyst` for
writes (`gateway_identity_required`, applied to the versioned routers), and an
endpoint asks for more with `require_role(Role.REVIEWER)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import ClientDisconnect

from orgair_auth import (
    Identity,
    IdentityRejection,
    InvalidIdentity,
    Role,
    minimal_role_for_method,
    request_target,
)
from orgair_observability import ProblemError, get_logger
from orgair_scoring_api.body_digest import received_body_sha256
from orgair_scoring_api.dependencies import Resources

__all__ = [
    "GatewayIdentityRequired",
    "IdentityDep",
    "current_identity",
    "gateway_identity_required",
    "require_role",
]

log = get_logger(__name__)

_IDENTITY_STATE = "identity"


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail)


def _forbidden(identity: Identity, required: Role) -> ProblemError:
    return ProblemError(
        403,
        "Forbidden",
        f"This operation needs the {required.value} role; the API key has {identity.role.value}.",
        required_role=required.value,
    )


async def current_identity(request: Request) -> Identity:
    """The verified identity of this request (401 problem when there is none).

    ``async`` although it does no I/O: FastAPI would run a plain function in the
    thread pool, which costs far more than the HMAC. It takes the request alone
    (no sub-dependencies): every `/api` request resolves it, and each dependency
    FastAPI resolves has a cost of its own."""
    cached = getattr(request.state, _IDENTITY_STATE, None)
    if isinstance(cached, Identity):
        return cached
    resources: Resources = request.app.state.resources
    target = request_target(
        request.scope.get("raw_path") or request.url.path.encode(), request.scope["query_string"]
    )
    headers = request.headers
    try:
        # The body as received, hashed on its way in (body_digest): whether the
        # endpoint read it as JSON, parsed it as a form, or takes none.
        try:
            digest = await received_body_sha256(request)
        except ClientDisconnect:
            raise ProblemError(400, "Bad Request", "The request body ended early.") from None
        signed = resources.identity_verifier.verify(headers, request.method, target, digest)
        if not await resources.replay_guard.first_use(signed.nonce, signed.valid_until):
            raise InvalidIdentity(IdentityRejection.REPLAYED)
    except InvalidIdentity as exc:
        # The reason is for operators; callers only learn to go through the gateway.
        log.warning("identity_rejected", reason=exc.reason.value, path=request.url.path)
        raise _unauthorized(
            "Requests must come through the gateway with a valid API key."
        ) from None
    identity = signed.identity
    setattr(request.state, _IDENTITY_STATE, identity)
    return identity


IdentityDep = Annotated[Identity, Depends(current_identity)]


async def gateway_identity_required(request: Request) -> Identity:
    """Router-level check: a verified identity whose role allows the HTTP method at all."""
    identity = await current_identity(request)
    required = minimal_role_for_method(request.method)
    if not identity.role.grants(required):
        raise _forbidden(identity, required)
    return identity


# For `include_router(..., dependencies=[GatewayIdentityRequired])`.
GatewayIdentityRequired = Depends(gateway_identity_required)


def require_role(required: Role) -> Callable[[Identity], Awaitable[Identity]]:
    """A dependency allowing only `required` or a higher role (403 problem otherwise).

    Use it in a route's `dependencies=[Depends(require_role(Role.REVIEWER))]`, or
    as a parameter `identity: Annotated[Identity, Depends(require_role(Role.ADMIN))]`.
    """

    async def check_role(identity: IdentityDep) -> Identity:
        if not identity.role.grants(required):
            raise _forbidden(identity, required)
        return identity

    check_role.__name__ = f"require_{required.value}"
    return check_role
