"""compose.yaml: schema validity (offline) and the structure DESIGN.md §2 asks for."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .checks import (
    REPO_ROOT,
    compose_problems,
    depends_on,
    environment,
    parse_dockerfile,
    services,
    workspace_members,
)
from .conftest import COMPOSE_FILE

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
APP_SERVICES = ("init", "scoring", "gateway", "worker")


def run_schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    # Any attempt to reach the network goes to a closed local port and fails,
    # so a pass proves the vendored schema is used offline.
    dead_proxy = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "HTTP_PROXY": dead_proxy,
        "HTTPS_PROXY": dead_proxy,
        "http_proxy": dead_proxy,
        "https_proxy": dead_proxy,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


# ------------------------------------------------------------------ the schema


def test_compose_validates_against_the_compose_spec_offline() -> None:
    assert CHECK_JSONSCHEMA.is_file(), f"{CHECK_JSONSCHEMA} missing (dev dependency group)"
    result = run_schema_check(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_an_invalid_compose_file(
    tmp_path: Path, compose_doc: dict[str, Any]
) -> None:
    compose_doc["services"]["scoring"]["depends_on"]["init"]["condition"] = "service_finished"
    compose_doc["services"]["scoring"]["not_a_compose_key"] = True
    bad = tmp_path / "compose.yaml"
    bad.write_text(yaml.safe_dump(compose_doc))
    result = run_schema_check(bad)
    assert result.returncode != 0
    assert "service_finished" in result.stdout + result.stderr


# --------------------------------------------------------------- the structure


def test_compose_structure_has_no_problems(compose_doc: dict[str, Any]) -> None:
    assert compose_problems(compose_doc) == []


def _svc(doc: dict[str, Any], name: str) -> dict[str, Any]:
    service: dict[str, Any] = doc["services"][name]
    return service


Mutation = Callable[[dict[str, Any]], Any]

MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "init does not wait for redis health": (
        lambda d: _svc(d, "init")["depends_on"]["redis"].update(condition="service_started"),
        "init must depend on redis with condition service_healthy",
    ),
    "init does not wait for localstack": (
        lambda d: _svc(d, "init")["depends_on"].pop("localstack"),
        "init must depend on localstack",
    ),
    "scoring starts before init finished": (
        lambda d: _svc(d, "scoring")["depends_on"]["init"].update(condition="service_started"),
        "scoring must depend on init with condition service_completed_successfully",
    ),
    "init is restarted": (
        lambda d: _svc(d, "init").update(restart="on-failure"),
        "init is one-shot",
    ),
    "redis loses its healthcheck": (
        lambda d: _svc(d, "redis").pop("healthcheck"),
        "redis has no healthcheck",
    ),
    "scoring healthcheck disabled": (
        lambda d: _svc(d, "scoring")["healthcheck"].update(disable=True),
        "long-running service scoring has no healthcheck",
    ),
    "scoring publishes a port": (
        lambda d: _svc(d, "scoring").update(ports=["8001:8001"]),
        "scoring publishes ports",
    ),
    "localstack newer than 4.14.0": (
        lambda d: _svc(d, "localstack").update(image="localstack/localstack:4.15.0"),
        "needs an auth token",
    ),
    "localstack on latest": (
        lambda d: _svc(d, "localstack").update(image="localstack/localstack:latest"),
        "is not an X.Y.Z version",
    ),
    "redis image unpinned": (
        lambda d: _svc(d, "redis").update(image="redis"),
        "is not pinned",
    ),
    "literal SECRET_KEY": (
        lambda d: _svc(d, "scoring")["environment"].update(SECRET_KEY="s3cr3t-value-in-git"),
        "SECRET_KEY has a literal value",
    ),
    "SECRET_KEY with a default": (
        lambda d: _svc(d, "init")["environment"].update(SECRET_KEY="${SECRET_KEY:-insecure}"),
        "SECRET_KEY must be required",
    ),
    "literal AWS secret": (
        lambda d: _svc(d, "scoring")["environment"].update(AWS_SECRET_ACCESS_KEY="hunter2"),
        "AWS_SECRET_ACCESS_KEY has a literal value",
    ),
    "password inside a URL": (
        lambda d: _svc(d, "scoring")["environment"].update(
            DATABASE_URL="postgresql+psycopg://orgair:hunter2@db:5432/orgair"
        ),
        "embeds a literal password",
    ),
    "loopback address in a container": (
        lambda d: _svc(d, "scoring")["environment"].update(REDIS_URL="redis://127.0.0.1:6379/0"),
        "points at the container itself",
    ),
    "Dockerfile path that does not exist": (
        lambda d: _svc(d, "scoring")["build"].update(dockerfile="services/Dockerfile.nope"),
        "does not exist",
    ),
    "built as another service's target": (
        lambda d: _svc(d, "scoring")["build"].update(target="gateway"),
        "want 'scoring' for both",
    ),
    "command from another package": (
        lambda d: _svc(d, "scoring").update(command=["python", "-m", "orgair_init"]),
        "runs module orgair_init but its image installs orgair-scoring-api",
    ),
    "command that is not python -m": (
        lambda d: _svc(d, "init").update(command=["uvicorn", "app:app"]),
        "is not `python -m <module>`",
    ),
    "redis may evict broker keys": (
        lambda d: _svc(d, "redis").update(command=["redis-server", "--appendonly", "yes"]),
        "noeviction",
    ),
    "scoring healthcheck hits /livez": (
        lambda d: _svc(d, "scoring")["healthcheck"].update(
            test=["CMD", "python", "-c", "print('http://127.0.0.1:8001/livez')"]
        ),
        "must probe http://127.0.0.1:8001/readyz",
    ),
    "scoring bound to loopback": (
        lambda d: _svc(d, "scoring")["environment"].update(SCORING_HOST="127.0.0.1"),
        "SCORING_HOST=0.0.0.0",
    ),
    "undeclared named volume": (
        lambda d: _svc(d, "scoring").update(volumes=["elsewhere:/data"]),
        "named volume 'elsewhere' is not declared",
    ),
    "missing bind-mount source": (
        lambda d: _svc(d, "localstack")["volumes"].append("./infra/nope.sh:/nope.sh:ro"),
        "bind mount source ./infra/nope.sh does not exist",
    ),
    "worker starts before init finished": (
        lambda d: _svc(d, "worker")["depends_on"]["init"].update(condition="service_started"),
        "worker must depend on init with condition service_completed_successfully",
    ),
    "worker does not wait for a healthy broker": (
        lambda d: _svc(d, "worker")["depends_on"]["redis"].update(condition="service_started"),
        "worker must depend on redis with condition service_healthy",
    ),
    "worker is not restarted": (
        lambda d: _svc(d, "worker").update(restart="on-failure"),
        "worker must restart unless-stopped",
    ),
    "worker pings through the broker": (
        lambda d: _svc(d, "worker")["healthcheck"].update(
            test=["CMD", "celery", "-A", "orgair_worker.app", "inspect", "ping"]
        ),
        "worker healthcheck must read the heartbeat",
    ),
    "waits for health of a service without healthcheck": (
        lambda d: (
            _svc(d, "scoring")["depends_on"].update(
                {"otel-collector": {"condition": "service_healthy"}}
            )
            or _svc(d, "otel-collector").pop("healthcheck")
        ),
        "otel-collector has no healthcheck",
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS), ids=str)
def test_structural_checks_catch(case: str, compose_doc: dict[str, Any]) -> None:
    mutate, expected = MUTATIONS[case]
    mutate(compose_doc)
    problems = compose_problems(compose_doc)
    assert any(expected in problem for problem in problems), problems


def _public_service(doc: dict[str, Any], name: str) -> None:
    doc["services"][name] = {
        "image": "nginx:1.27.3-alpine",
        "ports": ["8000:8000"],
        "restart": "unless-stopped",
        "healthcheck": {"test": ["CMD", "true"]},
        "depends_on": {"scoring": {"condition": "service_healthy"}},
    }


def test_gateway_is_the_public_entry(compose_doc: dict[str, Any]) -> None:
    published = {name for name, svc in services(compose_doc).items() if svc.get("ports")}
    assert published == {"gateway"}
    gateway = _svc(compose_doc, "gateway")
    assert [port.split(":")[-1] for port in gateway["ports"]] == ["8000"]
    assert depends_on(gateway)["scoring"] == "service_healthy"
    env = environment(gateway)
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    assert env["SCORING_URL"] == "http://scoring:8001"
    test = " ".join(gateway["healthcheck"]["test"])
    assert "127.0.0.1:8000/readyz" in test and "curl" not in test


def test_only_the_gateway_may_publish_a_port(compose_doc: dict[str, Any]) -> None:
    _public_service(compose_doc, "gateway")
    assert compose_problems(compose_doc) == []

    _public_service(compose_doc, "admin")
    problems = compose_problems(compose_doc)
    assert any(p.startswith("admin publishes ports") for p in problems), problems


# ------------------------------------------------------------- shared settings


def test_orgair_services_share_one_environment(compose_doc: dict[str, Any]) -> None:
    anchor = compose_doc["x-orgair-env"]
    for name in APP_SERVICES:
        env = environment(_svc(compose_doc, name))
        missing = set(anchor) - set(env)
        assert not missing, f"{name} lacks {sorted(missing)} from x-orgair-env"
        # One name for the platform; each service appends its own (`pe-orgair-scoring`).
        assert env["OTEL_SERVICE_NAME"] == anchor["OTEL_SERVICE_NAME"]
        env_files = _svc(compose_doc, name)["env_file"]
        assert {"path": ".env", "required": False} in env_files


def test_infrastructure_addresses_name_compose_services(compose_doc: dict[str, Any]) -> None:
    env = compose_doc["x-orgair-env"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["CELERY_RESULT_BACKEND"].startswith("redis://redis:6379/")
    assert env["S3_ENDPOINT_URL"] == "http://localstack:4566"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_sqlite_file_lives_on_a_volume_shared_by_init_and_scoring(
    compose_doc: dict[str, Any],
) -> None:
    url = compose_doc["x-orgair-env"]["DATABASE_URL"]
    assert url.startswith("sqlite:////"), "an absolute path inside the container"
    db_dir = str(Path(url.removeprefix("sqlite:///")).parent)
    mounts = {}
    for name in APP_SERVICES:
        for volume in _svc(compose_doc, name)["volumes"]:
            source, target = volume.split(":")[:2]
            if target == db_dir:
                mounts[name] = source
    assert set(mounts) == set(APP_SERVICES), mounts
    assert len(set(mounts.values())) == 1
    assert next(iter(mounts.values())) in compose_doc["volumes"]


def test_app_images_create_the_data_directory_for_their_user(compose_doc: dict[str, Any]) -> None:
    # An empty named volume copies ownership from the image's mount point, so the
    # non-root user can only write the SQLite file if the image made /data its own.
    for name in APP_SERVICES:
        text = (REPO_ROOT / _svc(compose_doc, name)["build"]["dockerfile"]).read_text()
        dockerfile = parse_dockerfile(text)
        target = dockerfile.stage(_svc(compose_doc, name)["build"]["target"])
        runtime = dockerfile.stage("runtime")
        assert target is not None and target.base == "runtime" and runtime is not None, name
        user = next(i.args for i in reversed(runtime.instructions) if i.keyword == "USER")
        uid = user.split(":")[0]
        assert f"install -d -o {uid}" in text and "/data" in text, name


def test_collector_is_started_before_the_services_but_never_gates_them(
    compose_doc: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        assert depends_on(_svc(compose_doc, name)).get("otel-collector") == "service_started"


# ------------------------------------------------------ commands vs. packages


@pytest.mark.parametrize("name", APP_SERVICES)
def test_command_module_exists_in_the_installed_package(
    name: str, compose_doc: dict[str, Any]
) -> None:
    command = _svc(compose_doc, name)["command"]
    assert command[:2] == ["python", "-m"]
    module = command[2]
    owner = next(
        (m for m in workspace_members().values() if module.split(".")[0] in m.modules), None
    )
    assert owner is not None, f"no workspace member ships {module}"
    main = REPO_ROOT / owner.path / "src" / module.replace(".", "/") / "__main__.py"
    assert main.is_file(), f"{main.relative_to(REPO_ROOT)} does not exist"


def test_every_app_service_is_built_as_its_own_target_of_the_shared_dockerfile(
    compose_doc: dict[str, Any],
) -> None:
    for name, svc in services(compose_doc).items():
        build = svc.get("build")
        if not isinstance(build, dict) or build.get("context") != ".":
            continue
        assert build["dockerfile"] == "services/Dockerfile"
        assert build["target"] == build["args"]["SERVICE"] == name
