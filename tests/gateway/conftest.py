"""Gateway fixtures: keys in a migrated store, a fake or real scoring upstream, the gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import redis

from orgair_auth import ApiKeyRepository, IssuedApiKey, Role
from orgair_config import Settings
from orgair_database import Database, utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.gateway.support import FakeUpstream, ThreadedServer, serving

IssueKey = Callable[..., IssuedApiKey]


@pytest.fixture
def issue_key(migrated: Settings) -> Iterator[IssueKey]:
    """`issue_key(Role.ANALYST)`: a real key in the test database (expired with `expired=True`)."""
    database = Database.from_settings(migrated)

    def issue(
        role: Role = Role.ADMIN, *, name: str | None = None, expired: bool = False
    ) -> IssuedApiKey:
        with database.session() as session:
            repository = ApiKeyRepository(session, TEST_SECRET_KEY)
            if expired:
                return repository.create(
                    name=name or f"expired {role.value}",
                    role=role,
                    expires_in=timedelta(hours=1),
                    now=utcnow() - timedelta(days=1),
                )
            return repository.create(name=name or f"test {role.value}", role=role)

    yield issue
    database.dispose()


@pytest.fixture
def fake_upstream() -> Iterator[tuple[FakeUpstream, ThreadedServer]]:
    upstream = FakeUpstream()
    with serving(upstream.app) as server:
        yield upstream, server


@pytest.fixture
def gateway_settings(
    migrated: Settings,
    fake_upstream: tuple[FakeUpstream, ThreadedServer],
    redis_client: redis.Redis,
) -> Callable[..., Settings]:
    """Settings for a gateway in front of the fake upstream; overrides win. Redis starts
    empty (`redis_client` flushes it), so no test inherits another's rate-limit counts."""

    def build(**overrides: object) -> Settings:
        values = migrated.model_dump()
        values.update(
            SCORING_URL=fake_upstream[1].url,
            SECRET_KEY=TEST_SECRET_KEY,
            API_KEY_CACHE_SECONDS=0,
            RATE_LIMIT_PER_MINUTE=1000,
        )
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
def gateway(gateway_settings: Callable[..., Settings]) -> Iterator[ThreadedServer]:
    from orgair_gateway.app import create_app

    settings = gateway_settings()
    with serving(create_app(settings), settings=settings) as server:
        yield server
