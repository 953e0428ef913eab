"""The platform cannot lock itself out: the last active admin key is never revoked,
not by itself, not by two revocations racing each other (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from orgair_auth import ApiKeyRepository, LastAdminKey, Role
from orgair_config import Settings
from orgair_database import Database, utcnow
from orgair_init.migrate import upgrade
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Iterator[Database]:
    if request.param == "sqlite":
        settings = make_settings()
    else:
        server: str = request.getfixturevalue("postgres_url")
        name = f"keys_{uuid.uuid4().hex[:12]}"
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
        settings = make_settings(DATABASE_URL=f"{server.rsplit('/', 1)[0]}/{name}")
    upgrade(settings.database_url)
    db = Database.from_settings(settings)
    yield db
    db.dispose()


def issue(database: Database, role: Role, *, expired: bool = False) -> uuid.UUID:
    with database.session() as session:
        repository = ApiKeyRepository(session, TEST_SECRET_KEY)
        if expired:
            issued = repository.create(
                name="old admin",
                role=role,
                expires_in=timedelta(hours=1),
                now=utcnow() - timedelta(days=1),
            )
        else:
            issued = repository.create(name=f"{role.value} key", role=role)
    return issued.record.id


def revoke(database: Database, key_id: uuid.UUID) -> None:
    with database.session() as session:
        ApiKeyRepository(session, TEST_SECRET_KEY).revoke(key_id)


def test_the_last_active_admin_key_is_kept(database: Database) -> None:
    first, second = issue(database, Role.ADMIN), issue(database, Role.ADMIN)
    issue(database, Role.ADMIN, expired=True)  # an expired admin key is no admin
    analyst = issue(database, Role.ANALYST)
    revoke(database, analyst)
    revoke(database, first)
    revoke(database, first)  # idempotent
    with pytest.raises(LastAdminKey) as refused:
        revoke(database, second)
    assert refused.value.record.id == second
    with database.session() as session:
        assert ApiKeyRepository(session, TEST_SECRET_KEY).has_active_key(Role.ADMIN)
    # With another admin key issued, the old one may go.
    issue(database, Role.ADMIN)
    revoke(database, second)


def test_two_racing_revocations_leave_one_admin(database: Database) -> None:
    first, second = issue(database, Role.ADMIN), issue(database, Role.ADMIN)
    outcome: list[BaseException | None] = []

    session = database.sessions()
    try:
        ApiKeyRepository(session, TEST_SECRET_KEY).revoke(first)  # not committed yet

        def revoke_the_other() -> None:
            try:
                revoke(database, second)
            except LastAdminKey as exc:
                outcome.append(exc)
            else:
                outcome.append(None)

        racer = threading.Thread(target=revoke_the_other)
        racer.start()
        time.sleep(1.0)
        # The second revocation waits on the first's locks instead of counting
        # admin keys that are about to disappear.
        assert racer.is_alive() and outcome == []
        session.commit()
    finally:
        session.close()
    racer.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], LastAdminKey)
    with database.session() as check:
        active = [
            r.id for r in ApiKeyRepository(check, TEST_SECRET_KEY).list(include_revoked=False)
        ]
    assert active == [second]
