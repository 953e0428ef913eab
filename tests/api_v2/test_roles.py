"""Roles on the v2 endpoints, as the gateway forwards them (signed identity)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from orgair_auth import Role
from tests.api.helpers import assert_problem
from tests.api_v2.helpers import V2, company, score, submitted_assessment


def test_only_reviewers_decide(client: TestClient, client_as: Callable[[Role], TestClient]) -> None:
    subject = company(client)
    pending = score(client, submitted_assessment(client, subject["id"], 10)["id"]).json()
    url = f"{V2}/reviews/{pending['id']}/decision"
    body = assert_problem(client_as(Role.ANALYST).post(url, json={"decision": "approve"}), 403)
    assert body["required_role"] == "reviewer"
    assert client.get(f"{V2}/reviews").json()["items"][0]["review_status"] == "pending_review"
    decided = client_as(Role.REVIEWER).post(url, json={"decision": "approve"})
    assert decided.status_code == 200
    assert decided.json()["review"]["reviewer_role"] == "reviewer"


def test_analysts_score_viewers_read(
    client: TestClient, client_as: Callable[[Role], TestClient]
) -> None:
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], 65)
    assert_problem(score(client_as(Role.VIEWER), assessment["id"]), 403)
    assert score(client_as(Role.ANALYST), assessment["id"]).status_code == 201
    viewer = client_as(Role.VIEWER)
    assert viewer.get(f"{V2}/companies/{subject['id']}/scores").status_code == 200
    assert viewer.get(f"{V2}/assessments/{assessment['id']}").status_code == 200


def test_only_admins_create_profiles(
    client: TestClient, client_as: Callable[[Role], TestClient]
) -> None:
    body = {"version": "reviewers-own", "overrides": {"beta": 0.1}}
    response = client_as(Role.REVIEWER).post(f"{V2}/parameters", json=body)
    assert_problem(response, 403)
    assert client.post(f"{V2}/parameters", json=body).status_code == 201
