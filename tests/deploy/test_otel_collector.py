"""infra/otel-collector.yaml and the collector's compose service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .checks import REPO_ROOT, collector_problems, image_tag, parse_dockerfile, parse_version


def test_collector_config_has_no_problems(collector_config: dict[str, Any]) -> None:
    assert collector_problems(collector_config) == []


def test_collector_config_uses_exporter_side_batching(collector_config: dict[str, Any]) -> None:
    assert "batch" not in (collector_config.get("processors") or {}), (
        "batching belongs to the exporters' sending_queue"
    )
    queue = collector_config["exporters"]["debug"]["sending_queue"]
    batch = queue["batch"]
    assert batch["min_size"] <= batch["max_size"] <= queue["queue_size"]


def test_commented_backend_exporters_are_documented() -> None:
    text = (REPO_ROOT / "infra" / "otel-collector.yaml").read_text()
    assert "# otlp_grpc:" in text
    assert "# otlp_http:" in text


def _pipeline(config: dict[str, Any], name: str) -> dict[str, Any]:
    pipeline: dict[str, Any] = config["service"]["pipelines"][name]
    return pipeline


Mutation = Callable[[dict[str, Any]], Any]

MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "grpc receiver on loopback": (
        lambda c: c["receivers"]["otlp"]["protocols"]["grpc"].update(endpoint="127.0.0.1:4317"),
        "otlp grpc receiver endpoint",
    ),
    "no http receiver": (
        lambda c: c["receivers"]["otlp"]["protocols"].pop("http"),
        "otlp http receiver endpoint",
    ),
    "memory_limiter not first": (
        lambda c: (
            c["processors"].update(attributes={"actions": []})
            or _pipeline(c, "traces").update(processors=["attributes", "memory_limiter"])
        ),
        "pipeline traces: memory_limiter must be the first processor",
    ),
    "memory_limiter missing from a pipeline": (
        lambda c: _pipeline(c, "logs").update(processors=[]),
        "pipeline logs: memory_limiter must be the first processor",
    ),
    "undefined exporter": (
        lambda c: _pipeline(c, "metrics").update(exporters=["debug", "otlp_grpc"]),
        "pipeline metrics uses undefined exporter 'otlp_grpc'",
    ),
    "health_check not enabled": (
        lambda c: c["service"].update(extensions=[]),
        "health_check extension is not enabled",
    ),
    "no logs pipeline": (
        lambda c: c["service"]["pipelines"].pop("logs"),
        "no logs pipeline",
    ),
    "exporter without batching": (
        lambda c: c["exporters"]["debug"].pop("sending_queue"),
        "exporter debug does not batch",
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS), ids=str)
def test_collector_checks_catch(case: str, collector_config: dict[str, Any]) -> None:
    mutate, expected = MUTATIONS[case]
    mutate(collector_config)
    problems = collector_problems(collector_config)
    assert any(expected in problem for problem in problems), problems


def test_compose_runs_the_pinned_contrib_collector_with_this_config(
    compose_doc: dict[str, Any],
) -> None:
    svc = compose_doc["services"]["otel-collector"]
    dockerfile = REPO_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]
    parsed = parse_dockerfile(dockerfile.read_text())
    base = parsed.final.base
    assert base.startswith("otel/opentelemetry-collector-contrib:")
    assert parse_version(image_tag(base) or "") is not None, base
    # The compose image name records the same collector version.
    assert svc["image"].endswith(":" + (image_tag(base) or ""))

    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    config_path = next(arg.split("=", 1)[1] for arg in svc["command"] if arg.startswith("--config"))
    assert mounts[config_path] == "./infra/otel-collector.yaml"


def test_collector_healthcheck_probes_the_health_check_extension(
    compose_doc: dict[str, Any], collector_config: dict[str, Any]
) -> None:
    port = collector_config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]
    test = compose_doc["services"]["otel-collector"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert f"http://127.0.0.1:{port}/" in test
    # The probe binary is added by the collector's Dockerfile (the upstream image has none).
    svc = compose_doc["services"]["otel-collector"]
    dockerfile = (REPO_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).read_text()
    assert f"/bin/busybox {test[1]}" in dockerfile
