"""API keys (format, HMAC storage, roles, repository) and the gateway's signed identity headers."""

from orgair_auth.identity import (
    DEFAULT_MAX_SKEW_SECONDS,
    EMPTY_BODY_SHA256,
    IDENTITY_HEADERS,
    Identity,
    IdentityRejection,
    IdentitySigner,
    IdentityVerifier,
    InvalidIdentity,
    SignedIdentity,
    body_sha256,
    request_target,
)
from orgair_auth.keys import (
    KEY_PREFIX,
    digest_api_key,
    digests_match,
    generate_api_key,
    is_well_formed_api_key,
    key_hint,
)
from orgair_auth.models import ApiKey
from orgair_auth.replay import ReplayGuard
from orgair_auth.repository import (
    ApiKeyRecord,
    ApiKeyRepository,
    IssuedApiKey,
    KeyRejected,
    LastAdminKey,
    RejectionReason,
    ensure_active,
)
from orgair_auth.roles import READ_METHODS, Role, minimal_role_for_method

__all__ = [
    "DEFAULT_MAX_SKEW_SECONDS",
    "EMPTY_BODY_SHA256",
    "IDENTITY_HEADERS",
    "KEY_PREFIX",
    "READ_METHODS",
    "ApiKey",
    "ApiKeyRecord",
    "ApiKeyRepository",
    "Identity",
    "IdentityRejection",
    "IdentitySigner",
    "IdentityVerifier",
    "InvalidIdentity",
    "IssuedApiKey",
    "KeyRejected",
    "LastAdminKey",
    "RejectionReason",
    "ReplayGuard",
    "Role",
    "SignedIdentity",
    "body_sha256",
    "digest_api_key",
    "digests_match",
    "ensure_active",
    "generate_api_key",
    "is_well_formed_api_key",
    "key_hint",
    "minimal_role_for_method",
    "request_target",
]
