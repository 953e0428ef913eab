"""Authentication, role floor and rate limits for every request except the open probes.

Pure ASGI, in front of both the proxy and the gateway's own endpoints:

1. the API key (`Authorization: Bearer` or `X-API-Key`) is authenticated;
   a missing or bad key is counted against the client address's budget of
   failed attempts, and answered 401 (or 429 once that budget is spent);
2. the key's request is counted against its own budget (429 when spent);
3. the role must allow the method at all (viewer: reads; analyst: writes);
   endpoints ask for more themselves (scoring per endpoint, admin endpoints here);
4. the identity is put in the request state for the proxy and the endpoints,
   and the key's id is bound into the log context as `caller_id` (the access
   line carries it; a field named like `key_id` would be masked by the log
   redaction, which treats any `key` field as a secret).

Every answer to a counted request carries `RateLimit-Policy` and `RateLimit`.

Paths under `own_auth_prefixes` (the dashboard) pass untouched: a browser carries a
session cookie, not a key, and the dashboard authenticates the key behind the session
itself, with the same key store, role floor and per-key rate limit.
Failed attempts never lock a valid key out. Many clients share an address (an
office behind one NAT, a CI runner), so one client's mistakes must not refuse the
others: a key that is well-formed (prefix, alphabet, CRC32 checksum) is checked
first, and only failures are counted. What still bounds guessing:

* a malformed key is refused offline, without a lookup, and counted;
* past RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE failures an address's failures are
  answered 429 instead of 401;
* past RATE_LIMIT_FAILED_AUTH_CEILING_PER_MINUTE failures (a flood, not typos) the
  address gets no lookup of any key this process has not just seen valid: at most
  that many guesses per address and minute reach the key store. Only then can a
  valid key of that address be refused (429), and only while the flood lasts.

Keys carry 178 random bits, so the limits are there to keep the key store's load
bounded and the guessing rate visible, not to make guessing infeasible.

Paths in `in_band_paths` (the MCP endpoint) speak a protocol that carries its own
errors: every message is a POST, and a refusal the assistant's model should read is a
tool error, not an HTTP status its client turns into a broken connection. For them
the key is authenticated and counted here as for any request (401 stays an HTTP
answer), but a spent budget is handed to the endpoint as an `InBandRefusal` in the
request state instead of a 429, and the method's role floor is left to the endpoint,
which checks each operation's role itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgair_auth import Identity, KeyRejected, Role, minimal_role_for_method
from orgair_gateway.asgi import send_problem, state
from orgair_gateway.credentials import presented_api_key
from orgair_gateway.keystore import LookupRefused
from orgair_gateway.proxy import IDENTITY_STATE
from orgair_gateway.runtime import GatewayRuntime
from orgair_observability import get_logger
from orgair_observability.metrics import RATE_LIMIT_REJECTIONS

__all__ = ["REFUSAL_STATE", "AccessControlMiddleware", "InBandRefusal"]

log = get_logger(__name__)

UNAUTHORIZED_DETAIL = (
    "A valid API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
)
_WWW_AUTHENTICATE = ("WWW-Authenticate", 'Bearer realm="orgair"')

REFUSAL_STATE = "refusal"


@dataclass(frozen=True)
class InBandRefusal:
    """A refusal an in-band endpoint must answer in its own protocol: the problem it
    would otherwise have been."""

    status: int
    title: str
    detail: str


class AccessControlMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        runtime: GatewayRuntime,
        open_paths: Iterable[str],
        own_auth_prefixes: Iterable[str] = (),
        in_band_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.open_paths = frozenset(open_paths)
        prefixes = tuple(prefix.rstrip("/") for prefix in own_auth_prefixes)
        self._own_auth_paths = frozenset(prefixes)
        self._own_auth_under = tuple(prefix + "/" for prefix in prefixes)
        self.in_band_paths = frozenset(in_band_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in self._own_auth_paths or path.startswith(self._own_auth_under):
            await self.app(scope, receive, send)
            return
        resources = self.runtime.resources
        # Bound for every counted request, so the access line always has the field.
        structlog.contextvars.bind_contextvars(caller_id=None)
        key = presented_api_key(scope)
        address = _client_address(scope)
        if key is None:
            await self._reject(scope, receive, send, address, reason="missing")
            return
        limiter = resources.rate_limiter

        async def below_ceiling() -> bool:
            # Asked only for a well-formed key that is not cached: past the ceiling,
            # no more guesses from this address reach the key store.
            return not await limiter.is_exhausted(resources.address_ceiling, f"addr:{address}")

        try:
            record = await resources.authenticator.authenticate(key, lookup_allowed=below_ceiling)
        except LookupRefused:
            await self._reject(scope, receive, send, address, reason="address_over_ceiling")
            return
        except KeyRejected as exc:
            await self._reject(scope, receive, send, address, reason=exc.reason.value)
            return

        identity = Identity(key_id=str(record.id), role=record.role)
        structlog.contextvars.bind_contextvars(caller_id=identity.key_id)
        decision = await limiter.hit(resources.key_policy, f"key:{identity.key_id}")
        rate_headers = decision.raw_headers() if decision else resources.policy_only_headers
        in_band = scope["path"] in self.in_band_paths
        if decision is not None and not decision.allowed:
            RATE_LIMIT_REJECTIONS.labels("api_key").inc()
            detail = (
                f"This API key may make {decision.policy.quota} requests per "
                f"{decision.policy.window_seconds} s; retry after {decision.reset_seconds} s."
            )
            if not in_band:
                await send_problem(
                    scope, receive, send, 429, "Too Many Requests", detail,
                    headers=decision.headers(),
                )  # fmt: skip
                return
            state(scope)[REFUSAL_STATE] = InBandRefusal(429, "Too Many Requests", detail)

        required = Role.VIEWER if in_band else minimal_role_for_method(scope["method"])
        if not identity.role.grants(required):
            await _forbidden(scope, receive, send, identity.role, required, rate_headers)
            return

        state(scope)[IDENTITY_STATE] = identity

        async def send_with_rate_limit(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *rate_headers]}
            await send(message)

        await self.app(scope, receive, send_with_rate_limit)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, address: str, *, reason: str
    ) -> None:
        resources = self.runtime.resources
        log.info("authentication_failed", reason=reason)
        decision = await resources.rate_limiter.hit(resources.address_policy, f"addr:{address}")
        if decision is not None and not decision.allowed:
            RATE_LIMIT_REJECTIONS.labels("client_address").inc()
            await send_problem(
                scope, receive, send, 429, "Too Many Requests",
                "Too many failed authentication attempts from this address; "
                f"retry after {decision.reset_seconds} s.",
                headers=decision.headers(),
            )  # fmt: skip
            return
        headers = [_WWW_AUTHENTICATE]
        if decision is not None:
            headers.extend(decision.headers())
        await send_problem(
            scope, receive, send, 401, "Unauthorized", UNAUTHORIZED_DETAIL, headers=headers
        )


async def _forbidden(
    scope: Scope,
    receive: Receive,
    send: Send,
    role: Role,
    required: Role,
    rate_headers: list[tuple[bytes, bytes]],
) -> None:
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in rate_headers]
    await send_problem(
        scope, receive, send, 403, "Forbidden",
        f"This operation needs the {required.value} role; the API key has {role.value}.",
        headers=headers, required_role=required.value,
    )  # fmt: skip


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
