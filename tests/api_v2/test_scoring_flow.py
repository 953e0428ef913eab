"""Scoring through the API: numbers equal to the engine's, the review gate, reviews."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgair_scoring import CompanyInputs, ScoringParameters, score_company
from tests.api.helpers import ALL_DIMENSIONS, V1, assert_problem
from tests.api_v2.helpers import (
    TECHNOLOGY,
    V2,
    company,
    score,
    submitted_assessment,
)


def current_of(client: TestClient, company_id: str) -> dict[str, Any] | None:
    current: dict[str, Any] | None = client.get(f"{V2}/companies/{company_id}/scores").json()[
        "current"
    ]
    return current


def current_id_of(client: TestClient, company_id: str) -> str | None:
    current = current_of(client, company_id)
    return None if current is None else str(current["id"])


def test_score_matches_the_engine_and_is_auto_approved(client: TestClient) -> None:
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], 65)
    response = score(client, assessment["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    expected = score_company(
        CompanyInputs(
            id=subject["id"], sector="manufacturing", h_r_base=72,
            dimensions=dict.fromkeys(ALL_DIMENSIONS, 65.0), talent_concentration=0.2,
            market_cap_percentile=0.5, evidence_count=21,
        ),
        ScoringParameters.model_validate(client.get(f"{V2}/parameters/v2.0").json()["parameters"]),
    )  # fmt: skip
    assert body["org_air"] == expected.org_air
    assert body["breakdown"] == expected.to_json_dict()
    assert body["review_status"] == "auto_approved"
    assert body["review_reasons"] == []
    assert body["parameters_version"] == "v2.0"
    assert body["approved_at"] is not None
    assert client.get(f"{V1}/assessments/{assessment['id']}").json()["status"] == "approved"
    assert current_id_of(client, subject["id"]) == body["id"]


def test_all_seven_dimensions_and_inputs_are_required(client: TestClient) -> None:
    subject = company(client)
    missing_two = submitted_assessment(
        client, subject["id"], 60, omit=("culture_change", "ai_governance")
    )
    body = assert_problem(score(client, missing_two["id"]), 422)
    assert "culture_change" in body["detail"] and "ai_governance" in body["detail"]
    assert {e["pointer"] for e in body["errors"]} == {
        "/dimension_scores/culture_change", "/dimension_scores/ai_governance",
    }  # fmt: skip
    no_inputs = submitted_assessment(client, subject["id"], 60, talent_concentration=None)
    body = assert_problem(score(client, no_inputs["id"]), 422)
    assert "talent_concentration" in body["detail"]
    assert client.get(f"{V2}/companies/{subject['id']}/scores").json()["history"] == []


def test_only_submitted_assessments_are_scored(client: TestClient) -> None:
    subject = company(client)
    draft = client.post(
        f"{V1}/assessments",
        json={"company_id": subject["id"], "assessment_type": "screening",
              "assessment_date": "2026-01-01"},
    ).json()  # fmt: skip
    body = assert_problem(score(client, draft["id"]), 409)
    assert "submit" in body["detail"]
    assert_problem(score(client, str(uuid.uuid4())), 404)


@pytest.mark.parametrize(("dimension_score", "industry", "mcap", "reason"), [
    (10, None, 0.5, "below the normal range"),
    (100, TECHNOLOGY, 1.0, "above the normal range"),
])  # fmt: skip
def test_out_of_range_scores_wait_for_review(
    client: TestClient, dimension_score: float, industry: str | None, mcap: float, reason: str
) -> None:
    subject = company(client, **({"industry_id": industry} if industry else {}))
    assessment = submitted_assessment(
        client, subject["id"], dimension_score, market_cap_percentile=mcap
    )
    body = score(client, assessment["id"]).json()
    assert body["review_status"] == "pending_review"
    assert any(reason in text for text in body["review_reasons"])
    assert body["approved_at"] is None
    assert current_of(client, subject["id"]) is None
    assert client.get(f"{V1}/assessments/{assessment['id']}").json()["status"] == "submitted"
    pending = client.get(f"{V2}/reviews", params={"status": "pending_review"}).json()
    assert body["id"] in {item["id"] for item in pending["items"]}


def test_big_change_waits_small_change_passes_and_approval_supersedes(client: TestClient) -> None:
    subject = company(client)
    first = submitted_assessment(client, subject["id"], 65)
    first_score = score(client, first["id"]).json()
    assert first_score["review_status"] == "auto_approved"

    small = submitted_assessment(client, subject["id"], 67)
    small_score = score(client, small["id"]).json()
    assert small_score["review_status"] == "auto_approved"
    assert small_score["compared_with_score_id"] == first_score["id"]
    assert client.get(f"{V1}/assessments/{first['id']}").json()["status"] == "superseded"

    jump = submitted_assessment(client, subject["id"], 90)
    jump_score = score(client, jump["id"]).json()
    assert jump_score["org_air"] - small_score["org_air"] > 15
    assert jump_score["review_status"] == "pending_review"
    assert "changed by" in jump_score["review_reasons"][0]
    assert current_id_of(client, subject["id"]) == small_score["id"]  # unchanged while pending

    decided = client.post(f"{V2}/reviews/{jump_score['id']}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["review_status"] == "approved"
    assert decided.json()["review"]["decision"] == "approve"
    assert current_id_of(client, subject["id"]) == jump_score["id"]
    assert client.get(f"{V1}/assessments/{jump['id']}").json()["status"] == "approved"
    assert client.get(f"{V1}/assessments/{small['id']}").json()["status"] == "superseded"


def test_reject_needs_a_comment_and_returns_the_assessment(client: TestClient) -> None:
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], 10)
    pending = score(client, assessment["id"]).json()
    url = f"{V2}/reviews/{pending['id']}/decision"
    assert_problem(client.post(url, json={"decision": "reject"}), 422)
    assert_problem(client.post(url, json={"decision": "reject", "comment": "   "}), 422)
    response = client.post(url, json={"decision": "reject", "comment": "evidence is thin"})
    assert response.status_code == 200
    body = response.json()
    assert body["review_status"] == "rejected"
    assert body["review"]["comment"] == "evidence is thin"
    assert body["review"]["reviewer"]
    assert client.get(f"{V1}/assessments/{assessment['id']}").json()["status"] == "in_progress"
    # Decisions are final.
    again = client.post(url, json={"decision": "approve"})
    assert_problem(again, 409)
    assert current_of(client, subject["id"]) is None
    assert_problem(client.post(f"{V2}/reviews/{uuid.uuid4()}/decision",
                               json={"decision": "approve"}), 404)  # fmt: skip


def test_stale_pending_score_cannot_overtake_a_newer_approval(client: TestClient) -> None:
    subject = company(client)
    old = score(client, submitted_assessment(client, subject["id"], 10)["id"]).json()
    newer = score(client, submitted_assessment(client, subject["id"], 65)["id"]).json()
    assert newer["review_status"] == "auto_approved"
    response = client.post(f"{V2}/reviews/{old['id']}/decision", json={"decision": "approve"})
    assert_problem(response, 409)


def test_recomputing_a_stored_score_from_its_snapshot_gives_the_same_numbers(
    client: TestClient,
) -> None:
    subject = company(client, industry_id=TECHNOLOGY)
    scores = dict(zip(ALL_DIMENSIONS, (72.0, 55.0, 81.0, 40.0, 66.0, 59.0, 47.0), strict=True))
    assessment = submitted_assessment(client, subject["id"], scores, evidence_count=2)
    stored = score(client, assessment["id"]).json()
    detail = client.get(f"{V2}/assessments/{assessment['id']}").json()
    [from_detail] = detail["scores"]
    assert from_detail["id"] == stored["id"]
    assert {row["dimension"] for row in detail["dimension_scores"]} == set(ALL_DIMENSIONS)
    profile = client.get(f"{V2}/parameters/{stored['parameters_version']}").json()
    assert profile["parameters_hash"] == stored["parameters_hash"]
    params = ScoringParameters.model_validate(profile["parameters"])
    recomputed = score_company(CompanyInputs.model_validate(from_detail["inputs"]), params)
    assert recomputed.to_json_dict() == from_detail["breakdown"]
    assert from_detail["inputs"]["evidence_count"] == 14


def test_trend(client: TestClient) -> None:
    subject = company(client)
    assert client.get(f"{V2}/companies/{subject['id']}/scores").json()["trend"] is None
    for value in (60, 63, 66, 69):  # each step small enough to auto-approve
        result = score(client, submitted_assessment(client, subject["id"], value)["id"]).json()
        assert result["review_status"] == "auto_approved"
    body = client.get(f"{V2}/companies/{subject['id']}/scores").json()
    assert body["trend"] == "improving"
    assert [item["org_air"] for item in body["history"]] == sorted(
        (item["org_air"] for item in body["history"]), reverse=True
    )  # newest first
    falling = company(client, name="Falling")
    for value in (70, 67, 64, 61):
        score(client, submitted_assessment(client, falling["id"], value)["id"])
    assert client.get(f"{V2}/companies/{falling['id']}/scores").json()["trend"] == "declining"
    flat = company(client, name="Flat")
    for value in (60, 61):
        score(client, submitted_assessment(client, flat["id"], value)["id"])
    assert client.get(f"{V2}/companies/{flat['id']}/scores").json()["trend"] == "stable"


def test_company_scores_cache_is_invalidated_by_scores_and_decisions(client: TestClient) -> None:
    subject = company(client)
    url = f"{V2}/companies/{subject['id']}/scores"
    assert client.get(url).json()["history"] == []  # cached empty
    pending = score(client, submitted_assessment(client, subject["id"], 10)["id"]).json()
    assert [item["id"] for item in client.get(url).json()["history"]] == [pending["id"]]
    client.post(f"{V2}/reviews/{pending['id']}/decision", json={"decision": "approve"})
    assert client.get(url).json()["current"]["id"] == pending["id"]
    assert_problem(client.get(f"{V2}/companies/{uuid.uuid4()}/scores"), 404)


def test_scoring_inputs_can_be_set_until_submitted(client: TestClient) -> None:
    subject = company(client)
    created = client.post(
        f"{V1}/assessments",
        json={"company_id": subject["id"], "assessment_type": "quarterly",
              "assessment_date": "2026-06-30"},
    ).json()  # fmt: skip
    url = f"{V2}/assessments/{created['id']}/scoring-inputs"
    response = client.patch(url, json={"talent_concentration": 0.4, "market_cap_percentile": 0.9})
    assert response.status_code == 200
    assert response.json()["talent_concentration"] == 0.4
    assert_problem(client.patch(url, json={"market_cap_percentile": 1.5}), 422)
    for status in ("in_progress", "submitted"):
        client.patch(f"{V1}/assessments/{created['id']}/status", json={"status": status})
    assert_problem(client.patch(url, json={"alignment": 0.5}), 409)
