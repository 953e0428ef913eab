"""The public API does what its OpenAPI document says: a bounded, seeded schemathesis
run against the composed stack (the gateway and scoring as `python -m` processes, with
a real Redis, S3 server and a migrated database), through the gateway's public port.

Every operation of the document the gateway serves (scoring's routes and the
gateway's own) gets generated requests, valid and invalid. The run fails on

* any 5xx                                            (not_a_server_error)
* a status the operation does not document           (status_code_conformance)
* a media type it does not document                  (content_type_conformance)
* a body that does not match the documented schema   (response_schema_conformance)
* a request the document calls invalid, accepted     (negative_data_rejection): the
  server keeps every bound it documents (tests/contract/test_input_bounds_documented.py
  makes sure each input has one)

Bounded and seeded so it takes the same requests every time in a minute or two:
CONTRACT_MAX_EXAMPLES generated cases per operation (plus schemathesis's coverage
cases: boundaries, missing and malformed values), seed CONTRACT_SEED. A failure
prints the request to reproduce it (`curl`).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from orgair_auth import ApiKeyRepository, Role
from orgair_cli.devstack import ProcessGroup, ProcessSpec, free_port, http_ok
from orgair_config import Settings
from orgair_database import Database
from orgair_init.migrate import upgrade
from orgair_init.seed import seed
from orgair_objectstore import ObjectStore
from tests.conftest import TEST_SECRET_KEY
from tests.support.servers import running_redis, running_s3

CONTRACT_SEED = 20261201
CONTRACT_MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Per-key limit is at most 1000 a minute: spread the run over enough admin keys.
KEYS = 6


class Stack:
    def __init__(self, gateway: str, keys: list[str]) -> None:
        self.gateway = gateway
        self._keys = itertools.cycle(keys)
        self.keys = keys

    def next_key(self) -> str:
        return next(self._keys)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("contract")
    with running_redis(name="redis-contract") as redis_server, running_s3() as s3_url:
        env = {
            name: value for name, value in os.environ.items() if name not in Settings.model_fields
        }
        env.update(
            SECRET_KEY=TEST_SECRET_KEY,
            DATABASE_URL=f"sqlite:///{workdir / 'contract.db'}",
            REDIS_URL=redis_server.url_for(0),
            CELERY_BROKER_URL=redis_server.url_for(1),
            CELERY_RESULT_BACKEND=redis_server.url_for(2),
            S3_ENDPOINT_URL=s3_url,
            S3_BUCKET="orgair-contract",
            SCORING_PORT=str(free_port()),
            GATEWAY_PORT=str(free_port()),
            RATE_LIMIT_PER_MINUTE="1000",
            LOG_FORMAT="json",
            LOG_LEVEL="WARNING",
        )
        settings_values: dict[str, Any] = {
            k: v for k, v in env.items() if k in Settings.model_fields
        }
        config = Settings(_env_file=None, **settings_values)
        upgrade(config.database_url)
        seed(config)
        ObjectStore.from_settings(config).check_bucket(create_if_missing=True)
        database = Database.from_settings(config)
        with database.session() as session:
            repository = ApiKeyRepository(session, TEST_SECRET_KEY)
            keys = [
                repository.create(name=f"contract {i}", role=Role.ADMIN).key for i in range(KEYS)
            ]
        database.dispose()

        scoring = f"http://127.0.0.1:{env['SCORING_PORT']}"
        gateway = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        group = ProcessGroup(workdir / "logs", base_env=env)
        try:
            group.start(
                ProcessSpec(
                    "scoring",
                    [sys.executable, "-m", "orgair_scoring_api"],
                    ready=lambda: http_ok(f"{scoring}/readyz"),
                )
            )
            group.start(
                ProcessSpec(
                    "gateway",
                    [sys.executable, "-m", "orgair_gateway"],
                    env={"SCORING_URL": scoring},
                    ready=lambda: http_ok(f"{gateway}/readyz"),
                )
            )
            yield Stack(gateway, keys)
        finally:
            group.stop()
            for name in ("scoring", "gateway"):
                log = Path(workdir / "logs" / f"{name}.log")
                if log.exists() and '"level":"error"' in log.read_text(errors="replace"):
                    sys.stderr.write(f"--- {name} logged errors:\n{log.read_text()[-4000:]}\n")


def public_document() -> dict[str, Any]:
    """The document the gateway serves at /openapi.json (a test below checks that it is
    exactly this), built without a running stack so the operations are known when
    the tests are collected."""
    from orgair_gateway import admin, health
    from orgair_gateway.app import OPEN_PATHS
    from orgair_gateway.openapi import public_openapi

    settings = Settings(_env_file=None, SECRET_KEY=TEST_SECRET_KEY)
    return public_openapi(settings, (health.router, admin.router), OPEN_PATHS)


schema = schemathesis.openapi.from_dict(
    public_document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": CONTRACT_SEED,
            "generation": {
                "mode": "all",
                "max-examples": CONTRACT_MAX_EXAMPLES,
                "deterministic": True,
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    ),
)


def test_the_fuzzed_document_is_the_one_the_gateway_serves(stack: Stack) -> None:
    served = httpx.get(
        f"{stack.gateway}/openapi.json", headers={"X-API-Key": stack.next_key()}, timeout=30
    )
    assert served.status_code == 200
    assert served.json() == public_document()


@schema.parametrize()
@settings(
    max_examples=CONTRACT_MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_does_what_the_document_says(
    case: schemathesis.Case[Any], stack: Stack
) -> None:
    case.call_and_validate(
        base_url=stack.gateway,
        headers={"X-API-Key": stack.next_key()},
        checks=CHECKS,
        timeout=30,
    )
