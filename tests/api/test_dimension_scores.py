from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from orgair_scoring import V1_WEIGHTS
from tests.api.helpers import ALL_DIMENSIONS, V1, assert_problem, create_assessment, create_company
from tests.conftest import signed_client

V2_WEIGHTS = {
    "data_infrastructure": 0.18, "ai_governance": 0.15, "technology_stack": 0.15,
    "talent_skills": 0.17, "leadership_vision": 0.13, "use_case_portfolio": 0.12,
    "culture_change": 0.10,
}  # fmt: skip


@pytest.fixture
def assessment(client: TestClient) -> dict[str, object]:
    return create_assessment(client, create_company(client)["id"])


def test_bulk_add_with_defaults(client: TestClient, assessment: dict[str, object]) -> None:
    response = client.post(
        f"{V1}/assessments/{assessment['id']}/scores",
        json={"scores": [
            {"dimension": "data_infrastructure", "score": 70, "evidence_count": 4},
            {"dimension": "ai_governance", "score": 55.5, "weight": 0.3, "confidence": 0.6},
        ]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    rows = {row["dimension"]: row for row in response.json()}
    assert rows["data_infrastructure"]["weight"] == V2_WEIGHTS["data_infrastructure"]
    assert rows["data_infrastructure"]["confidence"] == 0.8
    assert rows["data_infrastructure"]["evidence_count"] == 4
    assert rows["ai_governance"]["weight"] == 0.3
    listed = client.get(f"{V1}/assessments/{assessment['id']}/scores").json()
    assert {row["id"] for row in listed} == {row["id"] for row in rows.values()}


def test_duplicate_dimension_is_400(client: TestClient, assessment: dict[str, object]) -> None:
    url = f"{V1}/assessments/{assessment['id']}/scores"
    first = client.post(url, json={"scores": [{"dimension": "talent_skills", "score": 50}]})
    assert first.status_code == 201
    again = client.post(url, json={"scores": [{"dimension": "talent_skills", "score": 60},
                                              {"dimension": "culture_change", "score": 60}]})  # fmt: skip
    body = assert_problem(again, 400)
    assert "talent_skills" in body["detail"]
    twice = client.post(url, json={"scores": [{"dimension": "culture_change", "score": 1},
                                              {"dimension": "culture_change", "score": 2}]})  # fmt: skip
    assert_problem(twice, 400)
    # Neither rejected request stored anything.
    assert [row["dimension"] for row in client.get(url).json()] == ["talent_skills"]


@pytest.mark.parametrize(
    ("score", "pointer"),
    [
        ({"dimension": "vibes", "score": 1}, "/body/scores/0/dimension"),
        ({"dimension": "culture_change", "score": 100.5}, "/body/scores/0/score"),
        ({"dimension": "culture_change", "score": 5, "weight": 1.2}, "/body/scores/0/weight"),
        ({"dimension": "culture_change", "score": 5, "confidence": -0.1},
         "/body/scores/0/confidence"),
        ({"dimension": "culture_change", "score": 5, "evidence_count": -1},
         "/body/scores/0/evidence_count"),
    ],
)  # fmt: skip
def test_invalid_scores(
    client: TestClient, assessment: dict[str, object], score: dict[str, object], pointer: str
) -> None:
    response = client.post(f"{V1}/assessments/{assessment['id']}/scores", json={"scores": [score]})
    body = assert_problem(response, 422)
    assert pointer in {error["pointer"] for error in body["errors"]}


def test_missing_assessment_and_score(client: TestClient) -> None:
    response = client.post(
        f"{V1}/assessments/{uuid.uuid4()}/scores",
        json={"scores": [{"dimension": "culture_change", "score": 5}]},
    )
    assert_problem(response, 404)
    assert_problem(client.get(f"{V1}/assessments/{uuid.uuid4()}/scores"), 404)
    assert_problem(client.put(f"{V1}/scores/{uuid.uuid4()}", json={"score": 5}), 404)


def test_update_score(client: TestClient, assessment: dict[str, object]) -> None:
    url = f"{V1}/assessments/{assessment['id']}/scores"
    created = client.post(url, json={"scores": [{"dimension": "culture_change", "score": 40}]})
    score_id = created.json()[0]["id"]
    client.get(url)  # fill the cache
    response = client.put(f"{V1}/scores/{score_id}", json={"score": 64, "evidence_count": 3})
    assert response.status_code == 200
    assert (response.json()["score"], response.json()["evidence_count"]) == (64, 3)
    assert client.get(url).json()[0]["score"] == 64
    assert_problem(client.put(f"{V1}/scores/{score_id}", json={"score": 140}), 422)


def test_scores_lock_once_submitted(client: TestClient, assessment: dict[str, object]) -> None:
    url = f"{V1}/assessments/{assessment['id']}/scores"
    created = client.post(url, json={"scores": [{"dimension": "culture_change", "score": 40}]})
    for status in ("in_progress", "submitted"):
        client.patch(f"{V1}/assessments/{assessment['id']}/status", json={"status": status})
    more = client.post(url, json={"scores": [{"dimension": "ai_governance", "score": 40}]})
    assert_problem(more, 409)
    edit = client.put(f"{V1}/scores/{created.json()[0]['id']}", json={"score": 90})
    assert_problem(edit, 409)
    assert client.get(url).json()[0]["score"] == 40


def test_all_seven_dimensions(client: TestClient, assessment: dict[str, object]) -> None:
    scores = [{"dimension": name, "score": 50 + i} for i, name in enumerate(ALL_DIMENSIONS)]
    response = client.post(f"{V1}/assessments/{assessment['id']}/scores", json={"scores": scores})
    assert response.status_code == 201
    assert sum(row["weight"] for row in response.json()) == pytest.approx(1.0)


def test_weights_follow_the_active_profile(client: TestClient) -> None:
    body = client.get(f"{V1}/dimensions/weights").json()
    assert body["param_version"] == "v2.0"
    assert body["weights"] == V2_WEIGHTS
    assert body["total"] == pytest.approx(1.0)


def test_v1_profile_weights(make_settings: object, redis_client: object) -> None:
    from orgair_init.migrate import upgrade
    from orgair_scoring_api.app import create_app

    settings = make_settings(PARAM_VERSION="v1.0")  # type: ignore[operator]
    upgrade(settings.database_url)
    with signed_client(create_app(settings)) as client:
        body = client.get(f"{V1}/dimensions/weights").json()
    assert body["param_version"] == "v1.0"
    assert body["weights"] == dict(V1_WEIGHTS)
