"""The gateway's own endpoints: probes, admin key management, public OpenAPI, CORS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from orgair_auth import Role
from orgair_config import Settings
from tests.gateway.conftest import IssueKey
from tests.gateway.support import ThreadedServer, captured_log_lines


@pytest.fixture
def start_gateway(gateway_settings: Callable[..., Settings]) -> Iterator[Callable[..., str]]:
    from orgair_gateway.app import create_app

    servers: list[ThreadedServer] = []

    def start(**overrides: object) -> str:
        server = ThreadedServer(create_app(gateway_settings(**overrides))).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def test_only_the_probes_are_open(gateway: ThreadedServer) -> None:
    for path in ("/livez", "/readyz", "/health"):
        assert httpx.get(gateway.url + path).status_code == 200, path
    for path in ("/openapi.json", "/admin/keys", "/", "/docs", "/api/v1/echo"):
        response = httpx.get(gateway.url + path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
    health = httpx.get(f"{gateway.url}/health").json()
    assert health["status"] == "healthy"
    assert set(health["dependencies"]) == {"redis", "key_store", "scoring"}


def test_admin_manages_keys_and_others_may_not(
    gateway: ThreadedServer, issue_key: IssueKey
) -> None:
    admin = {"X-API-Key": issue_key(Role.ADMIN).key}
    reviewer = {"X-API-Key": issue_key(Role.REVIEWER).key}
    denied = httpx.get(f"{gateway.url}/admin/keys", headers=reviewer)
    assert denied.status_code == 403
    assert denied.json()["required_role"] == "admin"

    with captured_log_lines() as lines:
        created = httpx.post(
            f"{gateway.url}/admin/keys",
            json={"name": "ci pipeline", "role": "analyst", "expires_in_days": 30},
            headers=admin,
        )
    assert created.status_code == 201, created.text
    body = created.json()
    new_key = body["key"]
    assert new_key.startswith("oair_") and body["hint"] == new_key[-4:]
    assert body["role"] == "analyst" and body["expires_at"] is not None
    assert new_key not in "\n".join(lines)

    listed = httpx.get(f"{gateway.url}/admin/keys", headers=admin).json()
    assert {"id": body["id"], "name": "ci pipeline"}.items() <= next(
        item for item in listed if item["id"] == body["id"]
    ).items()
    assert all("key" not in item for item in listed)

    assert (
        httpx.get(f"{gateway.url}/api/v1/echo", headers={"X-API-Key": new_key}).status_code == 200
    )
    revoked = httpx.delete(f"{gateway.url}/admin/keys/{body['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (
        httpx.get(f"{gateway.url}/api/v1/echo", headers={"X-API-Key": new_key}).status_code == 401
    )
    missing = httpx.delete(
        f"{gateway.url}/admin/keys/00000000-0000-0000-0000-000000000000", headers=admin
    )
    assert missing.status_code == 404


def test_a_key_name_with_invisible_characters_is_422(
    gateway: ThreadedServer, issue_key: IssueKey
) -> None:
    admin = {"X-API-Key": issue_key(Role.ADMIN).key}
    refused = httpx.post(
        f"{gateway.url}/admin/keys",
        json={"name": "ci\u202epipeline", "role": "viewer"},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/body/name"]


def test_the_last_admin_key_cannot_be_revoked(gateway: ThreadedServer, issue_key: IssueKey) -> None:
    only = issue_key(Role.ADMIN)
    headers = {"X-API-Key": only.key}
    itself = httpx.delete(f"{gateway.url}/admin/keys/{only.record.id}", headers=headers)
    assert itself.status_code == 409
    assert itself.headers["content-type"] == "application/problem+json"
    assert itself.json()["type"].endswith("/conflict")
    assert "last active admin key" in itself.json()["detail"]
    # Still an admin: with a second admin key, either may then go, but not both.
    second = httpx.post(
        f"{gateway.url}/admin/keys", json={"name": "second admin", "role": "admin"}, headers=headers
    ).json()
    assert (
        httpx.delete(f"{gateway.url}/admin/keys/{only.record.id}", headers=headers).status_code
        == 200
    )
    assert httpx.get(f"{gateway.url}/admin/keys", headers=headers).status_code == 401
    other = {"X-API-Key": second["key"]}
    assert (
        httpx.delete(f"{gateway.url}/admin/keys/{second['id']}", headers=other).status_code == 409
    )


def test_public_openapi_describes_scoring_with_the_security_scheme(
    gateway: ThreadedServer, issue_key: IssueKey
) -> None:
    document = httpx.get(
        f"{gateway.url}/openapi.json", headers={"X-API-Key": issue_key(Role.VIEWER).key}
    ).json()
    paths = document["paths"]
    assert "/api/v1/companies" in paths and "/api/v1/companies/{company_id}" in paths
    assert "/admin/keys" in paths
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerApiKey"]["scheme"] == "bearer"
    assert {"ApiKeyHeader": []} in document["security"]
    assert paths["/livez"]["get"]["security"] == []
    company = paths["/api/v1/companies"]["post"]["responses"]
    assert {"401", "403", "429", "502", "504"} <= set(company)


def test_docs_only_in_debug(start_gateway: Callable[..., str]) -> None:
    production_like = start_gateway()
    assert httpx.get(f"{production_like}/docs").status_code == 401  # not open, not served
    debug = start_gateway(DEBUG=True)
    assert httpx.get(f"{debug}/docs").status_code == 200
    assert httpx.get(f"{debug}/openapi.json").json()["openapi"].startswith("3.")


def test_cors_allow_list(start_gateway: Callable[..., str], issue_key: IssueKey) -> None:
    base = start_gateway(CORS_ALLOW_ORIGINS="https://app.example", CORS_ALLOW_CREDENTIALS=True)
    preflight = httpx.options(
        f"{base}/api/v1/echo",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    stranger = httpx.options(
        f"{base}/api/v1/echo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in stranger.headers
    simple = httpx.get(
        f"{base}/api/v1/echo",
        headers={"Origin": "https://app.example", "X-API-Key": issue_key(Role.VIEWER).key},
    )
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "ratelimit" in simple.headers["access-control-expose-headers"].lower()


def test_wildcard_origin_with_credentials_is_refused_outside_debug(
    gateway_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ValueError, match="CORS_ALLOW_ORIGINS"):
        gateway_settings(CORS_ALLOW_ORIGINS="*", CORS_ALLOW_CREDENTIALS=True)
    assert gateway_settings(CORS_ALLOW_ORIGINS="*", CORS_ALLOW_CREDENTIALS=True, DEBUG=True)


def test_redis_down_at_start_is_reported_but_served(
    start_gateway: Callable[..., str], issue_key: IssueKey
) -> None:
    from tests.support.servers import free_port

    base = start_gateway(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    key = {"X-API-Key": issue_key(Role.VIEWER).key}
    response = httpx.get(f"{base}/api/v1/echo", headers=key)
    assert response.status_code == 200
    assert response.headers["ratelimit-policy"].startswith('"per-key"')
    assert "ratelimit" not in response.headers  # the remaining count is unknown
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["redis"]["status"] == "unhealthy"
