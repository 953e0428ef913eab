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


# ------------------------------------------------------------------ network policies
# A peer is where a pod runs and its labels: `NAMESPACE` for this platform's pods,
# another namespace's name for theirs, `OUTSIDE` for an address outside the cluster
# (a managed database, S3, a client behind the ingress controller). Only what the
# manifests use is modelled: matchLabels selectors, pod and namespace peers, ports.
NAMESPACE = "pe-orgair"
OUTSIDE = "(outside the cluster)"
WORKLOADS = ("gateway", "scoring", "worker", "init")

Peer = tuple[str, dict[str, str]]


def pod(name: str) -> Peer:
    return NAMESPACE, {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "pe-orgair"}


CLIENT: Peer = (OUTSIDE, {})
MANAGED_SERVICE: Peer = (OUTSIDE, {})
DNS: Peer = ("kube-system", {"k8s-app": "kube-dns"})
REDIS: Peer = ("pe-orgair-data", {"app": "redis"})
COLLECTOR: Peer = ("observability", {"app": "otel-collector"})


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, selector  # the model knows no matchExpressions
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def peer_matches(peers: list[dict[str, Any]] | None, other: Peer) -> bool:
    namespace, labels = other
    if peers is None:
        return True  # no `from`/`to`: every peer, inside the cluster or not
    for peer in peers:
        assert "ipBlock" not in peer  # not modelled
        if "namespaceSelector" in peer:
            in_scope = namespace != OUTSIDE and selects(
                peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}
            )
        else:
            in_scope = namespace == NAMESPACE
        if in_scope and selects(peer.get("podSelector", {}), labels):
            return True
    return False


def port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    return ports is None or any(
        entry["port"] == port and entry.get("protocol", "TCP") == protocol for entry in ports
    )


def policies_for(subject: Peer, direction: str) -> list[dict[str, Any]]:
    namespace, labels = subject
    if namespace != NAMESPACE:
        return []  # the manifests say nothing about other namespaces
    return [
        policy["spec"]
        for policy in by_kind("NetworkPolicy").values()
        if direction in policy["spec"]["policyTypes"]
        and selects(policy["spec"]["podSelector"], labels)
    ]


def allowed(direction: str, subject: Peer, other: Peer, port: int, protocol: str) -> bool:
    applicable = policies_for(subject, direction)
    if not applicable:
        return True  # a pod no policy selects is not isolated
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        port_matches(rule, port, protocol) and peer_matches(rule.get(peers_key), other)
        for spec in applicable
        for rule in spec.get(rules_key, [])
    )


def connects(source: Peer, target: Peer, port: int, protocol: str = "TCP") -> bool:
    """Both ends' policies must allow it: the source's egress and the target's ingress."""
    return allowed("Egress", source, target, port, protocol) and allowed(
        "Ingress", target, source, port, protocol
    )


def test_every_pod_is_isolated_both_ways_by_default() -> None:
    deny = by_kind("NetworkPolicy")["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    assert not connects(pod("someone-else"), pod("someone-else"), 80)


def test_only_the_gateway_reaches_scoring() -> None:
    scoring, gateway = pod("scoring"), pod("gateway")
    assert connects(gateway, scoring, 8001)
    assert not connects(gateway, scoring, 9999)
    for source in (CLIENT, pod("worker"), pod("init"), scoring, pod("debug-shell"), REDIS):
        assert not connects(source, scoring, 8001), source
    assert connects(CLIENT, gateway, 8000)
    assert not connects(scoring, gateway, 8000)


def test_nothing_reaches_the_worker_or_init() -> None:
    for target in ("worker", "init"):
        for source in (CLIENT, pod("gateway"), pod("scoring")):
            for port in (9101, 8000, 8001):
                assert not connects(source, pod(target), port), (source, target, port)


def test_each_workload_reaches_what_it_needs_and_only_that() -> None:
    config = by_kind("ConfigMap")["orgair-config"]["data"]
    redis_port = int(config["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    otlp_port = int(config["OTEL_EXPORTER_OTLP_ENDPOINT"].rsplit(":", 1)[1])
    for name in WORKLOADS:
        workload = pod(name)
        assert connects(workload, DNS, 53, "UDP") and connects(workload, DNS, 53), name
        assert connects(workload, REDIS, redis_port), name
        assert connects(workload, MANAGED_SERVICE, 5432), name  # PostgreSQL
        for port in (22, 8080, 6379):
            assert not connects(workload, MANAGED_SERVICE, port), (name, port)
    for name in ("gateway", "scoring", "worker"):
        assert connects(pod(name), COLLECTOR, otlp_port), name
    for name in ("scoring", "worker", "init"):
        assert connects(pod(name), MANAGED_SERVICE, 443), name  # S3 (and Snowflake)
    assert not connects(pod("gateway"), MANAGED_SERVICE, 443)  # no object store
    assert not connects(pod("init"), COLLECTOR, otlp_port)


def test_the_policy_model_can_fail() -> None:
    """Opening scoring's ingress to every pod (its `from` gone) is what the model catches."""
    documents = {d["metadata"]["name"]: d for d in manifests() if d["kind"] == "NetworkPolicy"}
    rule = copy.deepcopy(documents["scoring"]["spec"]["ingress"][0])
    assert not peer_matches(rule["from"], pod("worker"))
    del rule["from"]
    assert peer_matches(rule.get("from"), pod("worker"))
    assert port_matches(rule, 8001, "TCP") and not port_matches(rule, 8001, "UDP")
