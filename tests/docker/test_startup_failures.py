"""Start-up order when init cannot succeed, on the real engine.

With a DATABASE_URL that names no reachable database, or an S3 endpoint that does not
answer, `docker compose up --wait` fails and says init did not complete; init's own
log names the dependency; scoring, the worker and the gateway are created but never
started (they wait for init with `service_completed_successfully`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from orgair_cli.devstack import free_port
from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.stack import LocalStack, repository_root
from tests.docker.containers import APP_SERVICES, NEVER_STARTED, DockerPlatform

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(2400)]

BROKEN = {
    # A PostgreSQL URL on a host of the network that refuses the port.
    "database": ("DATABASE_URL", "postgresql+psycopg://orgair@redis:1/orgair"),
    # The LocalStack host, on a port nothing listens on.
    "s3": ("S3_ENDPOINT_URL", "http://localstack:1"),
}
UP_TIMEOUT = 240


@pytest.fixture(params=sorted(BROKEN))
def broken_stack(
    request: pytest.FixtureRequest, built: Engine, override_file: Path,
    stack_env: dict[str, str], tmp_path: Path,
) -> Iterator[tuple[str, DockerPlatform]]:  # fmt: skip
    dependency: str = request.param
    variable, value = BROKEN[dependency]
    broken = tmp_path / "compose.broken.yaml"
    # As a wrong .env would: every orgair service gets the bad value; init gives up
    # after 5 s of retries instead of 30.
    services = {name: {"environment": {variable: value}} for name in APP_SERVICES}
    services["init"]["environment"]["PREFLIGHT_TIMEOUT_SECONDS"] = "5"
    broken.write_text(yaml.safe_dump({"services": services}))
    port = free_port()
    stack = LocalStack(built, repository_root(), project=f"orgair-broken-{dependency}",
                       overrides=(override_file, broken),
                       env={**stack_env, "GATEWAY_PUBLISHED_PORT": str(port)})  # fmt: skip
    stack.down()
    try:
        yield dependency, DockerPlatform(stack, f"http://127.0.0.1:{port}", secrets=[])
    finally:
        stack.down()


def test_up_wait_fails_naming_init_and_nothing_after_it_starts(
    broken_stack: tuple[str, DockerPlatform],
) -> None:
    dependency, platform = broken_stack
    result = platform.stack.up(UP_TIMEOUT, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert 'service "init" didn\'t complete successfully' in output, output

    init = platform.inspect("init")["State"]
    assert init["Status"] == "exited" and init["ExitCode"] != 0, init
    lines = platform.log_lines("init")
    failed = [json.loads(line) for line in lines if line.startswith("{")]
    checks = {e["dependency"]: e["ok"] for e in failed if e["event"] == "preflight_check"}
    assert checks[dependency] is False, checks
    assert any(f"preflight failed: {dependency}" in line for line in lines), lines[-5:]
    events = {e["event"] for e in failed}
    assert not events & {"migrations_applied", "seed_applied"}

    for service in ("scoring", "worker", "gateway"):
        state = platform.inspect(service)["State"]
        assert state["Status"] == "created" and state["StartedAt"] == NEVER_STARTED, (
            service,
            state,
        )
