"""Through the gateway to the real scoring app: who may read, write and decide reviews."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import APIRouter, Depends

from orgair_auth import IssuedApiKey, Role
from orgair_config import Settings
from orgair_scoring_api.auth import GatewayIdentityRequired, IdentityDep, require_role
from tests.api.helpers import MANUFACTURING
from tests.gateway.conftest import IssueKey
from tests.gateway.support import ThreadedServer, captured_log_lines, serving

READ = ("GET", "/api/v1/industries")
WRITE = ("POST", "/api/v1/companies")
REVIEW = ("POST", "/api/v2/test-review-decisions")

EXPECTED = {
    Role.VIEWER: {READ: 200, WRITE: 403, REVIEW: 403},
    Role.ANALYST: {READ: 200, WRITE: 201, REVIEW: 403},
    Role.REVIEWER: {READ: 200, WRITE: 201, REVIEW: 200},
    Role.ADMIN: {READ: 200, WRITE: 201, REVIEW: 200},
}


@pytest.fixture
def scoring(migrated: Settings) -> Iterator[ThreadedServer]:
    """The real scoring app plus one reviewer-only route, as a review decision endpoint is."""
    from orgair_scoring_api.app import create_app

    app = create_app(migrated)
    review = APIRouter()

    @review.post("/test-review-decisions", dependencies=[Depends(require_role(Role.REVIEWER))])
    def decide(identity: IdentityDep) -> dict[str, str]:
        return {"decided_by": identity.key_id, "role": identity.role.value}

    app.include_router(
        review, prefix=migrated.API_V2_PREFIX, dependencies=[GatewayIdentityRequired]
    )
    with serving(app) as server:
        yield server


@pytest.fixture
def gateway_to_scoring(
    gateway_settings: Callable[..., Settings], scoring: ThreadedServer
) -> Iterator[ThreadedServer]:
    from orgair_gateway.app import create_app

    with serving(create_app(gateway_settings(SCORING_URL=scoring.url))) as server:
        yield server


def call(base: str, endpoint: tuple[str, str], headers: dict[str, str]) -> httpx.Response:
    method, path = endpoint
    body = {"name": "Matrix Co", "industry_id": MANUFACTURING} if method == "POST" else None
    return httpx.request(method, base + path, json=body, headers=headers, timeout=10)


def exercise(base: str, keys: dict[Role, IssuedApiKey]) -> dict[Role, dict[tuple[str, str], int]]:
    seen: dict[Role, dict[tuple[str, str], int]] = {}
    for role, issued in keys.items():
        # Both ways of presenting a key are accepted.
        header = (
            {"Authorization": f"Bearer {issued.key}"}
            if role in (Role.VIEWER, Role.REVIEWER)
            else {"X-API-Key": issued.key}
        )
        seen[role] = {
            endpoint: call(base, endpoint, header).status_code for endpoint in EXPECTED[role]
        }
    return seen


def test_each_role_against_a_read_a_write_and_a_review_endpoint(
    gateway_to_scoring: ThreadedServer, issue_key: IssueKey
) -> None:
    keys = {role: issue_key(role) for role in Role}
    seen: dict[Role, dict[tuple[str, str], int]] = {}
    with captured_log_lines() as lines:
        seen = exercise(gateway_to_scoring.url, keys)
    assert seen == EXPECTED

    decided = call(gateway_to_scoring.url, REVIEW, {"X-API-Key": keys[Role.REVIEWER].key})
    assert decided.json() == {"decided_by": str(keys[Role.REVIEWER].record.id), "role": "reviewer"}
    forbidden = call(gateway_to_scoring.url, REVIEW, {"X-API-Key": keys[Role.ANALYST].key})
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert forbidden.json()["required_role"] == "reviewer"

    # The keys appear in no log line; the key ids do.
    logs = "\n".join(lines)
    for issued in keys.values():
        assert issued.key not in logs
        assert f'"caller_id":"{issued.record.id}"' in logs


def test_no_bad_revoked_or_expired_key_is_401_everywhere(
    gateway_to_scoring: ThreadedServer,
    issue_key: IssueKey,
    migrated: Settings,
) -> None:
    from orgair_auth import ApiKeyRepository, generate_api_key
    from orgair_database import Database
    from tests.conftest import TEST_SECRET_KEY

    issue_key(Role.ADMIN, name="keeper")  # the last active admin key cannot be revoked
    revoked = issue_key(Role.ADMIN, name="revoked")
    database = Database.from_settings(migrated)
    with database.session() as session:
        ApiKeyRepository(session, TEST_SECRET_KEY).revoke(revoked.record.id)
    database.dispose()
    expired = issue_key(Role.ADMIN, expired=True)
    credentials = {
        "no key": {},
        "bad key": {"X-API-Key": generate_api_key()},
        "malformed key": {"Authorization": "Bearer not-even-a-key"},
        "revoked key": {"X-API-Key": revoked.key},
        "expired key": {"Authorization": f"Bearer {expired.key}"},
    }
    with captured_log_lines() as lines:
        for label, headers in credentials.items():
            for endpoint in (READ, WRITE, REVIEW):
                response = call(gateway_to_scoring.url, endpoint, headers)
                assert response.status_code == 401, (label, endpoint, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert response.json()["type"].endswith("/unauthorized")
    logs = "\n".join(lines)
    assert revoked.key not in logs and expired.key not in logs
    assert '"reason":"revoked"' in logs and '"reason":"expired"' in logs
