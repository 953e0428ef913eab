"""API key format, HMAC storage, roles and the key repository (against a real SQLite store)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from orgair_auth import (
    KEY_PREFIX,
    ApiKeyRepository,
    KeyRejected,
    RejectionReason,
    Role,
    digest_api_key,
    generate_api_key,
    is_well_formed_api_key,
    minimal_role_for_method,
)
from orgair_config import Settings
from orgair_database import Database, utcnow
from tests.conftest import TEST_SECRET_KEY


def test_keys_are_prefixed_random_and_checksummed() -> None:
    keys = {generate_api_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith(KEY_PREFIX)
        assert len(key) == 41
        assert is_well_formed_api_key(key)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # checksum digit
        lambda k: k[:10] + ("x" if k[10] != "x" else "y") + k[11:],  # body character
        lambda k: "oaix_" + k[5:],  # prefix
        lambda k: k[:-1],  # length
        lambda k: k[:-2] + "-" + k[-1],  # alphabet
    ],
    ids=["checksum", "body", "prefix", "length", "alphabet"],
)
def test_a_mistyped_key_fails_the_checksum(mutate: object) -> None:
    key = generate_api_key()
    assert not is_well_formed_api_key(mutate(key))  # type: ignore[operator]


def test_digest_is_an_hmac_under_the_secret() -> None:
    key = generate_api_key()
    digest = digest_api_key(key, TEST_SECRET_KEY)
    assert len(digest) == 64
    assert digest == digest_api_key(key, TEST_SECRET_KEY)
    assert digest != digest_api_key(key, TEST_SECRET_KEY + "x")
    assert key not in digest


def test_roles_are_ordered() -> None:
    assert [role.value for role in Role] == ["viewer", "analyst", "reviewer", "admin"]
    assert Role.ADMIN.grants(Role.REVIEWER) and Role.REVIEWER.grants(Role.ANALYST)
    assert Role.ANALYST.grants(Role.VIEWER) and Role.VIEWER.grants(Role.VIEWER)
    assert not Role.VIEWER.grants(Role.ANALYST)
    assert not Role.REVIEWER.grants(Role.ADMIN)
    assert minimal_role_for_method("GET") is Role.VIEWER
    assert minimal_role_for_method("head") is Role.VIEWER
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert minimal_role_for_method(method) is Role.ANALYST


@pytest.fixture
def database(migrated: Settings) -> Iterator[Database]:
    db = Database.from_settings(migrated)
    yield db
    db.dispose()


def test_create_authenticate_list_revoke(database: Database) -> None:
    with database.session() as session:
        issued = ApiKeyRepository(session, TEST_SECRET_KEY).create(name="ci", role=Role.ANALYST)
    assert "***" in repr(issued) and issued.key not in repr(issued)
    with database.session() as session:
        repository = ApiKeyRepository(session, TEST_SECRET_KEY)
        record = repository.authenticate(issued.key)
        assert (record.id, record.role, record.name) == (issued.record.id, Role.ANALYST, "ci")
        assert record.hint == issued.key[-4:]
        assert [r.id for r in repository.list()] == [record.id]
        assert repository.revoke(record.id) is not None
    with database.session() as session:
        repository = ApiKeyRepository(session, TEST_SECRET_KEY)
        with pytest.raises(KeyRejected) as rejected:
            repository.authenticate(issued.key)
        assert rejected.value.reason is RejectionReason.REVOKED
        assert repository.list(include_revoked=False) == []
        assert repository.revoke(uuid.uuid4()) is None


def test_expired_unknown_and_malformed_keys_are_rejected(database: Database) -> None:
    with database.session() as session:
        repository = ApiKeyRepository(session, TEST_SECRET_KEY)
        expired = repository.create(
            name="old", role=Role.VIEWER, expires_in=timedelta(hours=1),
            now=utcnow() - timedelta(hours=2),
        )  # fmt: skip
        fresh = repository.create(name="new", role=Role.VIEWER, expires_in=timedelta(days=1))
    with database.session() as session:
        repository = ApiKeyRepository(session, TEST_SECRET_KEY)
        cases = {
            expired.key: RejectionReason.EXPIRED,
            generate_api_key(): RejectionReason.UNKNOWN,
            "oair_not-a-key": RejectionReason.MALFORMED,
        }
        for key, reason in cases.items():
            with pytest.raises(KeyRejected) as rejected:
                repository.authenticate(key)
            assert rejected.value.reason is reason
        assert repository.authenticate(fresh.key).expires_at is not None
        # The same key under another SECRET_KEY is unknown: only the HMAC is stored.
        with pytest.raises(KeyRejected):
            ApiKeyRepository(session, "another-secret-key-0123456789abcdef").authenticate(fresh.key)


def test_the_store_holds_no_key_in_clear(database: Database, migrated: Settings) -> None:
    with database.session() as session:
        issued = ApiKeyRepository(session, TEST_SECRET_KEY).create(name="s", role=Role.ADMIN)
    engine = create_engine(migrated.database_url)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(text("SELECT * FROM api_keys"))]
    engine.dispose()
    [row] = rows
    assert row["key_digest"] == digest_api_key(issued.key, TEST_SECRET_KEY)
    dumped = " ".join(str(value) for value in row.values())
    assert issued.key not in dumped
    assert issued.key[len(KEY_PREFIX) : -6] not in dumped  # not even the random part


def test_stored_digest_format_is_stable() -> None:
    """Digests already in the key store must keep matching: HMAC-SHA256 (hex) of the key
    under HMAC-SHA256(SECRET_KEY, purpose)."""
    import hashlib
    import hmac

    from orgair_auth.keys import _DIGEST_PURPOSE

    key = generate_api_key()
    derived = hmac.new(TEST_SECRET_KEY.encode(), _DIGEST_PURPOSE, hashlib.sha256).digest()
    expected = hmac.new(derived, key.encode(), hashlib.sha256).hexdigest()
    assert digest_api_key(key, TEST_SECRET_KEY) == expected
