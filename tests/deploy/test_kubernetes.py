"""infra/k8s: valid against the Kubernetes schemas (offline) and shaped for production."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.31.0"
SERVICES = ("scoring", "gateway", "worker")
AUTOSCALED = ("gateway", "worker")


def kustomization() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return data


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for name in kustomization()["resources"]:
        documents.extend(d for d in yaml.safe_load_all((K8S / name).read_text()) if d)
    return documents


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    return data


def image_repository(image: str) -> str:
    """`pe-orgair/scoring` of `pe-orgair/scoring:${ORGAIR_IMAGE_TAG:-dev}` or `…:dev`."""
    head, _, last = image.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def structural_problems(deployment: dict[str, Any]) -> list[str]:
    """What a production Deployment of ours must have; empty when it has all of it."""
    problems = []
    pod = deployment["spec"]["template"]["spec"]
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problems.append("pod does not require runAsNonRoot")
    for container in pod.get("initContainers", []) + pod["containers"]:
        name = container["name"]
        resources = container.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part, {})):
                problems.append(f"{name}: resources.{part} needs cpu and memory")
        if not container.get("securityContext", {}).get("readOnlyRootFilesystem"):
            problems.append(f"{name}: root filesystem is writable")
    for container in pod["containers"]:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe not in container:
                problems.append(f"{container['name']}: no {probe}")
    return problems


@pytest.mark.parametrize(
    "document", manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}"
)
def test_validates_against_the_kubernetes_schema(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_schema_validation_catches_mistakes() -> None:
    deployment = copy.deepcopy(by_kind("Deployment")["scoring"])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = copy.deepcopy(by_kind("Deployment")["scoring"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_deployed_with_probes_resources_and_hardening(service: str) -> None:
    assert structural_problems(by_kind("Deployment")[service]) == []


def test_structural_check_can_fail() -> None:
    deployment = copy.deepcopy(by_kind("Deployment")["scoring"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["readinessProbe"]
    del container["resources"]["limits"]
    assert structural_problems(deployment) == [
        "scoring: resources.limits needs cpu and memory",
        "scoring: no readinessProbe",
    ]


@pytest.mark.parametrize("service", ("scoring", "gateway"))
def test_http_services_probe_livez_and_readyz(service: str) -> None:
    container = by_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


@pytest.mark.parametrize("service", AUTOSCALED)
def test_autoscaled(service: str) -> None:
    hpa = by_kind("HorizontalPodAutoscaler")[service]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", service)
    assert service in by_kind("Deployment")
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_images_and_commands_match_compose() -> None:
    services = compose()["services"]
    workloads = {**by_kind("Deployment"), "init": by_kind("Job")["orgair-init"]}
    for name, workload in workloads.items():
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        compose_service = services[name]
        assert image_repository(container["image"]) == image_repository(compose_service["image"])
        assert container["command"] == compose_service["command"], name
        for init_container in pod.get("initContainers", []):
            assert image_repository(init_container["image"]) == image_repository(
                services["init"]["image"]
            )
    kustomized = {image["name"] for image in kustomization()["images"]}
    assert kustomized == {image_repository(services[n]["image"]) for n in workloads}


def test_secrets_come_from_the_secret_and_hold_no_values() -> None:
    secret = by_kind("Secret")["orgair-secrets"]
    assert set(secret["stringData"].values()) == {""}
    config = by_kind("ConfigMap")["orgair-config"]
    assert not set(config["data"]) & set(secret["stringData"])
    workloads = [*by_kind("Deployment").values(), by_kind("Job")["orgair-init"]]
    for workload in workloads:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            refs = {ref.get("secretRef", {}).get("name") for ref in container.get("envFrom", [])}
            assert "orgair-secrets" in refs
            for variable in container.get("env", []):
                assert variable["name"] not in secret["stringData"], variable["name"]


def test_only_the_gateway_is_meant_to_be_exposed() -> None:
    services = by_kind("Service")
    assert set(services) == {"scoring", "gateway"}
    assert all(service["spec"]["type"] == "ClusterIP" for service in services.values())
    scoring_env = {
        e["name"]: e.get("value")
        for e in by_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0][
            "env"
        ]
    }
    assert scoring_env["SCORING_URL"] == "http://scoring:8001"


def test_worker_probes_read_the_heartbeat_like_compose() -> None:
    container = by_kind("Deployment")["worker"]["spec"]["template"]["spec"]["containers"][0]
    compose_check = compose()["services"]["worker"]["healthcheck"]["test"]
    assert compose_check[0] == "CMD"
    assert container["livenessProbe"]["exec"]["command"] == compose_check[1:]
    assert container["startupProbe"]["exec"]["command"] == compose_check[1:]
    assert container["readinessProbe"]["exec"]["command"] == [*compose_check[1:], "--ready"]
