from __future__ import annotations

from fastapi.testclient import TestClient

from orgair_scoring import ScoringParameters
from tests.api.helpers import ALL_DIMENSIONS, assert_problem
from tests.api_v2.helpers import V2, company, score, submitted_assessment

INPUTS = {
    "sector": "technology",
    "dimensions": dict.fromkeys(ALL_DIMENSIONS, 70),
    "talent_concentration": 0.3,
    "market_cap_percentile": 0.6,
    "evidence_count": 5,
}


def test_builtin_profiles_are_listed_with_hashes(client: TestClient) -> None:
    profiles = {p["version"]: p for p in client.get(f"{V2}/parameters").json()}
    assert {"v1.0", "v2.0"} <= set(profiles)
    assert profiles["v2.0"]["is_default"] is True
    assert profiles["v1.0"]["parameters"]["weights"]["data_infrastructure"] == 0.25
    assert profiles["v2.0"]["parameters"]["weights"]["data_infrastructure"] == 0.18
    for profile in profiles.values():
        params = ScoringParameters.model_validate(profile["parameters"])
        assert params.parameters_hash == profile["parameters_hash"]
    assert_problem(client.get(f"{V2}/parameters/v9.9"), 404)


def test_custom_profile_created_once_and_used(client: TestClient) -> None:
    body = {"version": "fund-iii-2026", "base": "v2.0",
            "overrides": {"alpha": 0.65, "sectors": {"manufacturing": {"avg_vr": 50}}}}  # fmt: skip
    created = client.post(f"{V2}/parameters", json=body)
    assert created.status_code == 201, created.text
    profile = created.json()
    assert profile["source"] == "custom"
    assert profile["parameters"]["alpha"] == 0.65
    assert (
        profile["parameters"]["sectors"]["manufacturing"]["h_r_base"] == 72
    )  # merged, not replaced
    assert profile["created_by"]
    assert_problem(client.post(f"{V2}/parameters", json=body), 409)  # immutable
    assert_problem(client.post(f"{V2}/parameters", json=body | {"version": "v2.0"}), 409)
    fetched = client.get(f"{V2}/parameters/fund-iii-2026").json()
    assert fetched["parameters_hash"] == profile["parameters_hash"]

    subject = company(client)
    stored = score(client, submitted_assessment(client, subject["id"], 65)["id"],
                   profile="fund-iii-2026").json()  # fmt: skip
    assert stored["parameters_version"] == "fund-iii-2026"
    assert stored["parameters_hash"] == profile["parameters_hash"]


def test_invalid_custom_profile(client: TestClient) -> None:
    response = client.post(
        f"{V2}/parameters",
        json={"version": "broken", "overrides": {"weights": {"culture_change": 0.5}}},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"].startswith("/body/overrides/weights")
    unknown_base = client.post(
        f"{V2}/parameters", json={"version": "x1", "base": "nope", "overrides": {}}
    )
    assert_problem(unknown_base, 422)


def test_unknown_profile_when_scoring(client: TestClient) -> None:
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], 65)
    body = assert_problem(score(client, assessment["id"], profile="v7.0"), 422)
    assert body["errors"][0]["pointer"] == "/body/profile"


def test_preview_computes_without_storing(client: TestClient) -> None:
    subject = company(client)
    base = client.post(f"{V2}/scoring/preview", json={"inputs": INPUTS})
    assert base.status_code == 200, base.text
    what_if = client.post(
        f"{V2}/scoring/preview", json={"inputs": INPUTS, "overrides": {"beta": 0.2}}
    ).json()
    assert what_if["org_air"] != base.json()["org_air"]
    assert what_if["parameters_version"] == "v2.0+custom"
    v1 = client.post(f"{V2}/scoring/preview", json={"inputs": INPUTS, "profile": "v1.0"}).json()
    assert v1["parameters_version"] == "v1.0"
    assert client.get(f"{V2}/companies/{subject['id']}/scores").json()["history"] == []
    bad = client.post(
        f"{V2}/scoring/preview",
        json={"inputs": INPUTS | {"dimensions": {"data_infrastructure": 50}}},
    )
    body = assert_problem(bad, 422)
    assert body["errors"][0]["pointer"] == "/body/inputs/dimensions"
    assert_problem(client.post(f"{V2}/scoring/preview",
                               json={"inputs": INPUTS, "overrides": {"alpha": 3}}), 422)  # fmt: skip
