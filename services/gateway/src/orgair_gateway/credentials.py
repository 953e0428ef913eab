"""Where a caller puts its API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["CREDENTIAL_HEADERS", "presented_api_key"]

AUTHORIZATION = b"authorization"
X_API_KEY = b"x-api-key"
# Headers that carry credentials: never forwarded upstream, never logged.
CREDENTIAL_HEADERS = frozenset({AUTHORIZATION, X_API_KEY})
_BEARER = "bearer "


def presented_api_key(scope: Scope) -> str | None:
    """The key the request presents, or None. `Authorization` wins when both are sent."""
    api_key_header: str | None = None
    for name, value in scope["headers"]:
        if name == AUTHORIZATION:
            text = value.decode("latin-1").strip()
            # The scheme is case-insensitive (RFC 9110 §11.1).
            if text[: len(_BEARER)].lower() == _BEARER:
                return text[len(_BEARER) :].strip() or None
        elif name == X_API_KEY:
            api_key_header = value.decode("latin-1").strip() or None
    return api_key_header
