"""Fixtures shared by the whole suite: real servers on loopback and a migrated app."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgair_auth import Identity, IdentitySigner, Role, body_sha256
from orgair_config import Settings
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_objectstore import ObjectStore
from tests.support.servers import RedisServer, running_postgres, running_redis, running_s3

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "test-secret-key-0123456789abcdefghijklmnop"

# The tests must never read a developer's .env or inherit their shell's settings.
for _name in list(os.environ):
    if _name in Settings.model_fields:
        del os.environ[_name]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with running_s3() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        context = running_postgres()
        url = context.__enter__()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield url
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def make_settings(
    tmp_path: Path, redis_server: RedisServer, s3_endpoint: str
) -> Callable[..., Settings]:
    """Settings pointing at the test servers and a fresh SQLite file; overrides win."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'orgair.db'}",
            "REDIS_URL": redis_server.url_for(0),
            "CELERY_BROKER_URL": redis_server.url_for(1),
            "CELERY_RESULT_BACKEND": redis_server.url_for(2),
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_BUCKET": "orgair-test",
            "PREFLIGHT_TIMEOUT_SECONDS": 2,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    """What the init job leaves behind: schema at head, reference data, the bucket."""
    upgrade(settings.database_url)
    seed(settings)
    ObjectStore.from_settings(settings).check_bucket(create_if_missing=True)
    return settings


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url_for(0))
    client.flushdb()
    yield client
    client.close()


class GatewayIdentityAuth(httpx.Auth, httpx2.Auth):  # type: ignore[misc]  # same flow, two request types
    """Signs each request as the gateway would, so tests can call scoring directly.

    Both packages' Auth: the tests' own clients use `httpx`, Starlette's TestClient uses
    `httpx2` whenever it is installed (the LLM SDKs bring it)."""

    requires_request_body = True

    def __init__(
        self, role: Role, *, secret: str = TEST_SECRET_KEY, key_id: str | None = None
    ) -> None:
        self.identity = Identity(key_id=key_id or f"test-{role.value}-key", role=role)
        self.signer = IdentitySigner(secret)

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        target = request.url.raw_path.decode("ascii")  # path and query, as on the request line
        digest = body_sha256(request.content)  # the body as sent (read: requires_request_body)
        for name, value in self.signer.sign(self.identity, request.method, target, digest):
            request.headers[name] = value
        yield request


def signed_client(app: FastAPI, role: Role = Role.ADMIN, **kwargs: Any) -> TestClient:
    """A TestClient for a scoring app whose requests carry the gateway's identity for `role`."""
    test_client = TestClient(app, **kwargs)
    test_client.auth = GatewayIdentityAuth(role)
    return test_client


@pytest.fixture
def client(migrated: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """The scoring app, called as an admin through the gateway (signed identity headers)."""
    from orgair_scoring_api.app import create_app

    with signed_client(create_app(migrated), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client_as(client: TestClient) -> Callable[[Role], TestClient]:
    """`client_as(Role.VIEWER)`: the same app as `client`, called with another role."""

    def for_role(role: Role) -> TestClient:
        other = TestClient(client.app, raise_server_exceptions=False)
        other.auth = GatewayIdentityAuth(role)
        return other

    return for_role
